// Defined in a file generated from VERSION and the workspace status (see
// the BUILD file); only version.cc reads them.
#ifndef SSECAST_SERVER_CONFIG_VERSION_INFO_H_
#define SSECAST_SERVER_CONFIG_VERSION_INFO_H_

namespace ssecast {

extern const char kVersionFromFile[];
extern const char kStampedCommit[];

}  // namespace ssecast

#endif  // SSECAST_SERVER_CONFIG_VERSION_INFO_H_
