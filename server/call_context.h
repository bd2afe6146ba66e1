// What a request's handler needs to know of its call, whichever transport carried it (gRPC or
// HTTP): the caller's credentials and how long the caller still wants the answer.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace tqdb::server {

struct CallContext {
  // The "authorization" header as sent ("Bearer <key>"); empty when there is none.
  std::string authorization;
  std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
  std::function<bool()> cancelled;  // true once the caller has gone; null: it cannot tell
  // Set only on a call from one node of a cluster to another for one shard of a collection
  // (cluster/shard_header.h): "<shard>/<epoch>" as the sender's shard map has it.
  std::string shard_header;
  // The collection searched is one of this many shards (set by the shard's owner): a search's
  // nprobe counts lists of the whole collection (SearchOptions::parts).
  int search_parts = 1;
};

}  // namespace tqdb::server
