#ifndef SSECAST_BAZEL_TSAN_REAL_ABSL_SYMBOL_H_
#define SSECAST_BAZEL_TSAN_REAL_ABSL_SYMBOL_H_

// For the TSan annotation shims (absl_*_annotations.cc), which define
// members of Debian's shared Abseil in the executable and call the
// library's own definition from theirs.

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/base/options.h"

#define SSECAST_TSAN_STRINGIFY2(x) #x
#define SSECAST_TSAN_STRINGIFY(x) SSECAST_TSAN_STRINGIFY2(x)

namespace ssecast::tsan {

// The Itanium-mangled name of absl::<inline namespace>::<rest>, where
// `rest` is the mangled tail after the namespaces (e.g. "5Mutex4LockEv").
inline std::string AbslSymbol(const char* rest) {
  const char* inline_namespace =
      SSECAST_TSAN_STRINGIFY(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  return "_ZN4absl" + std::to_string(std::strlen(inline_namespace)) +
         inline_namespace + rest;
}

// The shared Abseil's definition of the member named by `rest` (the next
// one after the executable's). Fails loudly: a binary whose Abseil TSan
// cannot see is useless under TSan.
template <typename Function>
Function Real(const char* rest) {
  const std::string name = AbslSymbol(rest);
  void* symbol = dlsym(RTLD_NEXT, name.c_str());
  if (symbol == nullptr) {
    std::fprintf(stderr,
                 "tsan annotations: cannot find %s in the loaded Abseil: %s\n",
                 name.c_str(), dlerror());
    std::abort();
  }
  return reinterpret_cast<Function>(symbol);
}

// The function type of a non-static member function's definition:
// R (C::*)(A...) becomes R (*)(C*, A...), as the Itanium C++ ABI passes
// `this` first.
template <typename Member>
struct MemberDefinition;
template <typename R, typename C, typename... A>
struct MemberDefinition<R (C::*)(A...)> {
  using type = R (*)(C*, A...);
};

// As Real(), for the non-static member function kMember (whose mangled
// tail is `rest`), with its type derived from kMember's own declaration.
// Looked up on the first call for each kMember; later calls return that
// (the same `rest` must name the same member every time).
template <auto kMember>
typename MemberDefinition<decltype(kMember)>::type RealMember(
    const char* rest) {
  using Function = typename MemberDefinition<decltype(kMember)>::type;
  static const Function real = Real<Function>(rest);
  return real;
}

}  // namespace ssecast::tsan

#endif  // SSECAST_BAZEL_TSAN_REAL_ABSL_SYMBOL_H_
