#include "server/sse/stream_writer_pool.h"

#include <algorithm>

namespace ssecast {

StreamWriterPool::StreamWriterPool(EventLog* log,
                                   const StreamWriter::DetachFn& detach,
                                   const StreamWriterOptions& options,
                                   int writers) {
  for (int i = 0; i < std::max(writers, 1); ++i) {
    writers_.push_back(std::make_unique<StreamWriter>(log, detach, options));
  }
}

void StreamWriterPool::Adopt(std::shared_ptr<SseStream> stream,
                             UniqueFd socket) {
  writers_[next_.fetch_add(1) % writers_.size()]->Adopt(std::move(stream),
                                                        std::move(socket));
}

void StreamWriterPool::Shutdown(absl::Duration grace) {
  for (auto& writer : writers_) writer->BeginShutdown(grace);
  for (auto& writer : writers_) writer->Shutdown(grace);
}

}  // namespace ssecast
