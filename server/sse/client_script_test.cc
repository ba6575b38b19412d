#include "server/sse/client_script.h"

#include "client/browser/ssecast_js.h"
#include "gtest/gtest.h"

namespace ssecast {
namespace {

TEST(ClientScriptTest, ServesTheScriptWithValidators) {
  httplib::Request request;
  httplib::Response response;
  ServeClientScript(request, response);
  EXPECT_EQ(response.status, -1);  // unset: cpp-httplib answers 200
  EXPECT_EQ(response.body, SsecastJs());
  EXPECT_EQ(response.get_header_value("Content-Type"),
            "text/javascript; charset=utf-8");
  EXPECT_EQ(response.get_header_value("Cache-Control"), "no-cache");
  EXPECT_EQ(response.get_header_value("X-Content-Type-Options"), "nosniff");
  const std::string etag = response.get_header_value("ETag");
  EXPECT_TRUE(etag.size() > 2 && etag.front() == '"' && etag.back() == '"')
      << etag;
}

TEST(ClientScriptTest, AnswersNotModifiedToItsOwnEtag) {
  httplib::Response first;
  ServeClientScript(httplib::Request(), first);
  const std::string etag = first.get_header_value("ETag");

  for (const std::string& if_none_match :
       {etag, "\"other\", " + etag, "W/" + etag, std::string("*")}) {
    httplib::Request request;
    request.set_header("If-None-Match", if_none_match);
    httplib::Response response;
    ServeClientScript(request, response);
    EXPECT_EQ(response.status, 304) << if_none_match;
    EXPECT_TRUE(response.body.empty()) << if_none_match;
    EXPECT_EQ(response.get_header_value("ETag"), etag);
  }
}

TEST(ClientScriptTest, ServesTheScriptToAnotherEtag) {
  httplib::Request request;
  request.set_header("If-None-Match", "\"stale\"");
  httplib::Response response;
  ServeClientScript(request, response);
  EXPECT_NE(response.status, 304);
  EXPECT_EQ(response.body, SsecastJs());
}

}  // namespace
}  // namespace ssecast
