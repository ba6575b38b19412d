// The ThreadSanitizer suppressions of ssecast's TSan stage
// (--config=tsan), compiled into every binary by absl_mutex_annotations.cc
// as __tsan_default_suppressions.
//
// Only code outside ssecast may be suppressed, each entry with the reason;
// a report in ssecast's own code is a bug to fix, never to suppress.
#ifndef SSECAST_BAZEL_TSAN_TSAN_SUPPRESSIONS_H_
#define SSECAST_BAZEL_TSAN_TSAN_SUPPRESSIONS_H_

namespace ssecast::tsan {

inline constexpr char kSuppressions[] =
    // Debian's gRPC, Protobuf, Abseil and cpp-httplib are not built with TSan:
    // their threads hand buffers, Status payloads and messages to one another
    // through atomics TSan cannot see, so the memcpy, memcmp, free,
    // sendmsg, close ... they call on them look like races (a run gave
    // hundreds of such reports, none in ssecast's code). Ignore the calls
    // these libraries make into TSan's interceptors; ssecast's own
    // accesses stay checked. One line per library: a pattern matching two
    // loaded libraries is fatal to TSan.
    "called_from_lib:libgrpc.so\n"
    "called_from_lib:libgrpc++.so\n"
    "called_from_lib:libgpr.so\n"
    "called_from_lib:libupb.so\n"
    "called_from_lib:libprotobuf.so\n"
    "called_from_lib:libabsl_status.so\n"
    "called_from_lib:libabsl_strings.so\n"
    "called_from_lib:libabsl_time.so\n"
    "called_from_lib:libabsl_cord.so\n"
    // Debian's cpp-httplib (a shared library, also uninstrumented): its
    // worker threads share its own buffers the same invisible way.
    "called_from_lib:libcpp-httplib.so\n"
    // Debian's OpenSSL (libssl, libcrypto), under gRPC's TLS on the control
    // plane, is not built with TSan either: gRPC hands a connection's SSL
    // objects between its threads invisibly, and OpenSSL's cleanup at exit
    // frees its locks while gRPC's threads are still winding down. Every
    // report seen (the control plane's TLS tests) had both sides in these
    // two libraries.
    "called_from_lib:libssl.so\n"
    "called_from_lib:libcrypto.so\n"
    // Abseil's deadlock detector (on in Debian's build) keeps its lock
    // graph under its own uninstrumented spin lock.
    "called_from_lib:libabsl_graphcycles_internal.so\n"
    "called_from_lib:libabsl_synchronization.so\n"
    // gRPC code that gRPC's headers compile into ssecast's binaries: the
    // receive path deserializes a message on one gRPC thread and gRPC
    // hands it, invisibly, to the thread that runs the reactor's callback.
    // A race with one side in that receive path is that hand-off.
    "race:grpc::internal::CallOpRecvMessage\n"
    "race:grpc::ProtoBufferReader\n"
    "race:grpc::internal::CallbackUnaryHandler<*>::Deserialize\n"
    // Likewise the send path: gRPC fills a batch on the thread that
    // finishes the call and completes it on another. A unary reactor that
    // ssecast finishes from a thread of its own (the Redis pipeline's, for
    // a publish that holds no thread) has its response serialized there
    // (AddOp) and freed by gRPC's completion thread (CallOnDone).
    "race:grpc::internal::CallOpSet<*>::FinalizeResult\n"
    "race:grpc::internal::CallOpSendMessage::AddOp\n"
    // Only when gRPC's handler code made the access itself (top frame),
    // not ssecast's handlers it runs.
    "race_top:grpc::internal::CallbackUnaryHandler\n"
    "race_top:grpc::internal::CallbackClientStreamingHandler\n"
    "race_top:grpc::internal::CallbackWithSuccessTag\n"
    "race_top:grpc::internal::InterceptorBatchMethodsImpl\n"
    // TSan reads a mutex's word when it is locked. gRPC's objects holding
    // an absl::Mutex reach the thread that locks it through gRPC's
    // invisible hand-offs, so that read races with their allocation. Every
    // such report seen locked from libgrpc; the lock itself stays visible.
    "race_top:__tsan_mutex_post_lock\n"
    // gRPC starts some threads of its own (grpc_core::Thread) joinable and
    // joins them during its asynchronous shutdown after the last channel
    // or server is gone. A short-lived program such as ssecastctl, which
    // exits right after a failed call, may end before gRPC joined one that
    // had already finished: TSan then reports a "thread leak" whose
    // creation stack is gRPC's. ssecast's own threads are std::threads
    // and stay checked.
    "thread:grpc_core::Thread::Thread\n";

}  // namespace ssecast::tsan

#endif  // SSECAST_BAZEL_TSAN_TSAN_SUPPRESSIONS_H_
