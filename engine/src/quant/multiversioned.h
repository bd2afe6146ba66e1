// TQDB_MULTIVERSIONED: compile a function for AVX-512, AVX2 and baseline x86-64 and pick the
// version at load time by CPU features (GCC/Clang target_clones), for loops the compiler
// vectorizes well but the baseline build cannot widen. Sanitizer builds get the baseline only
// (their runtimes and the ifunc resolvers do not mix).
#pragma once

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define TQDB_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define TQDB_SANITIZED 1
#endif
#endif
#ifdef TQDB_SANITIZED
#define TQDB_MULTIVERSIONED
#else
#define TQDB_MULTIVERSIONED __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
