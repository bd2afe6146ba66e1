// How each of a collection's S shards is laid out so that together they do the work of one
// server holding the whole collection: a shard holds 1/S of the vectors, partitions once the
// whole would (partition_at / S), into about sqrt(n / S) = sqrt(n) / sqrt(S) lists, and a search
// probes nprobe / sqrt(S) of them (IvfIndex::ProbedLists): the same share of the data.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tqdb::cluster {

// A shard's partition_at for a collection's: ceil(partition_at / shards); 0 (never) stays 0.
uint64_t ShardPartitionAt(uint64_t partition_at, size_t shards);

// The lists a shard takes when the whole collection is asked to take `lists`: lists /
// sqrt(shards), rounded, at least 1; 0 (the default, about sqrt(n)) stays 0.
uint32_t ShardLists(uint32_t lists, size_t shards);

}  // namespace tqdb::cluster
