// Preloaded into the operator bench/cache-memory.ts starts (`node --import`):
// plain JavaScript (.mjs), so no TypeScript stripper loads into the measured process. Every 200 ms it
// looks for a command in the file MEMORY_PROBE_DIR/cmd and answers in
// MEMORY_PROBE_DIR/<cmd>.json. `read`: a reading as the process is; `gc`:
// a reading after two full GCs; `snapshot`: a heap snapshot (after GC) in
// MEMORY_PROBE_DIR/heap.heapsnapshot. A reading holds process.memoryUsage(),
// V8's heap statistics (malloced_memory is V8's own malloc), its spaces'
// committed and physical sizes, and /proc/self/status (RssAnon: the heap,
// malloc and thread stacks; RssFile: the node binary's pages; VmHWM: the peak).
const { existsSync, readFileSync, renameSync, rmSync, writeFileSync } = process.getBuiltinModule('node:fs');
const { join } = process.getBuiltinModule('node:path');
const v8 = process.getBuiltinModule('node:v8');
const vm = process.getBuiltinModule('node:vm');

const dir = process.env.MEMORY_PROBE_DIR;
if (dir) {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const status = () => Object.fromEntries(readFileSync('/proc/self/status', 'utf8').split('\n')
    .filter((l) => /^(VmRSS|VmHWM|RssAnon|RssFile|RssShmem):/.test(l))
    .map((l) => [l.split(':')[0], Number(/\d+/.exec(l)[0]) * 1024]));
  const reading = () => ({
    memoryUsage: process.memoryUsage(),
    heap: v8.getHeapStatistics(),
    spaces: v8.getHeapSpaceStatistics().map((s) => ({ name: s.space_name, size: s.space_size, used: s.space_used_size, physical: s.physical_space_size })),
    status: status(),
  });
  const write = (name, value) => {
    writeFileSync(join(dir, `${name}.tmp`), JSON.stringify(value));
    renameSync(join(dir, `${name}.tmp`), join(dir, `${name}.json`));
  };
  const cmdFile = join(dir, 'cmd');
  setInterval(() => {
    if (!existsSync(cmdFile)) return;
    const cmd = readFileSync(cmdFile, 'utf8').trim();
    rmSync(cmdFile);
    if (cmd === 'gc' || cmd === 'snapshot') { gc(); gc(); }
    if (cmd === 'snapshot') v8.writeHeapSnapshot(join(dir, 'heap.heapsnapshot'));
    write(cmd, reading());
  }, 200).unref();
}
