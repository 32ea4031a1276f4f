// Preloaded into the operator the bench starts (`node --import`): the operator
// exits when the bench that started it is gone, even after a SIGKILL that gave
// the bench no chance to clean up. It signals itself SIGTERM, so the normal
// shutdown runs (and --cpu-prof gets written). Plain JavaScript, no type
// annotations: bench/lib/operator.ts hands it to node as a data: URL.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 1000).unref();
