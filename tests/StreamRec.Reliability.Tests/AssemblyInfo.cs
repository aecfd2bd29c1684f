// Crash tests start child processes and brokers, and read process-wide metrics; the machine has two cores:
// one test at a time keeps them independent.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
