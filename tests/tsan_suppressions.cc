// Linked into the test binaries of the ThreadSanitizer build only. Debian's RocksDB (and libstdc++)
// are not built with TSan, so RocksDB's lock-free memtable, its atomics and its background threads
// are invisible to it and would read as races. Accesses made from uninstrumented libraries are
// ignored and reports with a RocksDB frame suppressed; races in tqdb's own code still fail.
extern "C" const char* __tsan_default_options() { return "ignore_noninstrumented_modules=1"; }

extern "C" const char* __tsan_default_suppressions() {
  return "race:librocksdb.so\n"
         "called_from_lib:librocksdb.so\n";
}
