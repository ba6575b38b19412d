#include "server/sse/sse_stream.h"

#include "server/sse/stream_writer.h"

namespace ssecast {

SseStream::SseStream(uint64_t id, std::string client_id,
                     std::string remote_address, absl::Time connected_since)
    : Connection(id, std::move(client_id), std::move(remote_address),
                 connected_since) {}

SseStream::~SseStream() = default;

void SseStream::Prepare(uint64_t first_sequence, std::string prelude,
                        absl::Time expires) {
  delivery_.cursor = first_sequence;
  delivery_.control = std::move(prelude);
  delivery_.expires = expires;
}

void SseStream::SetWriter(StreamWriter* writer) { writer_.store(writer); }

void SseStream::OnClose() {
  // Paired with SetWriter(): either the writer is visible here and is told,
  // or the writer sees close_before() when it takes the stream over.
  if (StreamWriter* writer = writer_.load()) writer->NotifyClose();
}

}  // namespace ssecast
