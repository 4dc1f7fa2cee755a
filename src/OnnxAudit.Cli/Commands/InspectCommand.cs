using OnnxAudit.Runtime;
using System.CommandLine;
using OnnxAudit.Graph;
using OnnxAudit.Onnx;
using OnnxAudit.Reporting.Sections;
using Spectre.Console;

namespace OnnxAudit.Cli.Commands;

/// <summary><c>onnx-audit inspect MODEL [--batch-size N] [--json]</c>: the graph analysis as tables or JSON.</summary>
internal static class InspectCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model();
        var batch = new Option<int>("--batch-size", "-b") { Description = "Batch size at which tensor shapes are measured.", DefaultValueFactory = _ => 1 };
        var json = CommonOptions.Json();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var command = new Command("inspect", "Analyse the model's graph: layers, ReLU layers and widths, classifier head, candidate split points, tensor shapes, parameters, identity.")
        {
            model, batch, json, device, threads,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(model);
            var batchSize = parse.GetValue(batch);
            if (batchSize < 1) throw new Errors.OnnxAuditException($"--batch-size {batchSize}: must be at least 1.");
            var loaded = OnnxModel.Load(path);
            var analysis = Autodiff.StaticShapeSource.Analyze(loaded, new GraphAnalysisOptions { BatchSize = batchSize }, CommonOptions.Runtime(parse.GetValue(device)!, parse.GetValue(threads)));
            if (parse.GetValue(json))
            {
                VerbJson.Write(console, "inspect", analysis);
                return ExitCodes.Ok;
            }
            var card = ModelCardBuilder.Build(analysis, path);
            var cardTable = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn("");
            cardTable.ShowHeaders = false;
            cardTable.Title = new TableTitle($"[bold]{Markup.Escape(card.Name)}[/]");
            foreach (var row in card.ToRows()) cardTable.AddRow(new Text(row.Key, new Style(decoration: Decoration.Bold)), new Text(row.Value));
            console.Ansi.Write(cardTable);
            SpectreBlocks.Write(console.Ansi, GraphSectionBuilder.Build(analysis));
            SpectreBlocks.Write(console.Ansi, new Reporting.Model.ReportSection("inspect-model", "Initializers and metadata",
                [GraphSectionBuilder.Initializers(analysis), GraphSectionBuilder.Metadata(analysis)]));
            return ExitCodes.Ok;
        });
        return command;
    }

}
