#ifndef SSECAST_SERVER_SSE_STREAM_WRITER_POOL_H_
#define SSECAST_SERVER_SSE_STREAM_WRITER_POOL_H_

#include <atomic>
#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "server/base/unique_fd.h"
#include "server/hub/event_log.h"
#include "server/sse/sse_stream.h"
#include "server/sse/stream_writer.h"

namespace ssecast {

// A fixed set of StreamWriter threads; adopted streams are spread over them
// in turn. Thread-safe.
class StreamWriterPool {
 public:
  // `writers` threads reading `log` (which must outlive the pool); see
  // StreamWriter for `detach`.
  StreamWriterPool(EventLog* log, const StreamWriter::DetachFn& detach,
                   const StreamWriterOptions& options, int writers);

  void Adopt(std::shared_ptr<SseStream> stream, UniqueFd socket);

  // Ends every stream cleanly, waits up to `grace` for them to drain, and
  // stops the threads.
  void Shutdown(absl::Duration grace);

 private:
  std::vector<std::unique_ptr<StreamWriter>> writers_;
  std::atomic<size_t> next_{0};
};

}  // namespace ssecast

#endif  // SSECAST_SERVER_SSE_STREAM_WRITER_POOL_H_
