// The end-to-end tests each start a broker and a host, read process-wide metrics, and the machine has two cores:
// running them one at a time keeps them independent and their timing generous.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
