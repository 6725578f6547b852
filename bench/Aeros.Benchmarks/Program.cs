Console.WriteLine("Aeros benchmarks: see docs/benchmarks.md.");
return 0;
