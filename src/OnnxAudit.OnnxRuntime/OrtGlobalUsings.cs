// why: the ONNX Runtime C# sources from the npm package rely on these usings being implicit
// (the Unity project that ships them provides them). See DESIGN.md, "Dependencies".
global using System.Reflection;
