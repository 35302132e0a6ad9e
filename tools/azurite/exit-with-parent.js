// Loaded into Azurite's node process (NODE_OPTIONS=--require) by
// internal/azurite: Azurite exits when the process that started it is gone,
// which closes the other end of its standard input. Without it, a test
// binary killed by its timeout would leave Azurite running.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
// Watching stdin must not keep node alive by itself: on SIGTERM Azurite
// closes its servers and exits when nothing else is left, which an open
// stdin would otherwise put off until it is killed (30 s later).
process.stdin.unref();
