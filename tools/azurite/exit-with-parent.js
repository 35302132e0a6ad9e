// Loaded into Azurite's node process (NODE_OPTIONS=--require) by
// internal/azurite: Azurite exits when the process that started it is gone,
// which closes the other end of its standard input. Without it, a test
// binary killed by its timeout would leave Azurite running.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
