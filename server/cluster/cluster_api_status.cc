// ClusterApi::GetClusterStatus: what `tqdb cluster status` shows, from etcd (nodes, controller,
// shard maps) and from the shards' owners (the vectors each shard holds).
#include "cluster_api.h"
#include "cluster_api_fanout.h"
#include "controller_election.h"

namespace tqdb::cluster {

absl::Status ClusterApi::GetClusterStatus(const server::CallContext& call,
                                          const v1::GetClusterStatusRequest&,
                                          v1::GetClusterStatusResponse* response) {
  TQDB_RETURN_IF_ERROR(Authorize(call, server::Role::kRead, ""));
  response->set_node(options_.node_id);
  TQDB_ASSIGN_OR_RETURN(const std::vector<NodeInfo> nodes, ListNodes(*etcd_));
  for (const NodeInfo& node : nodes) {
    v1::GetClusterStatusResponse::Node* entry = response->add_nodes();
    entry->set_id(node.id);
    entry->set_address(node.address);
  }
  TQDB_ASSIGN_OR_RETURN(const std::optional<Controller> controller, CurrentController(*etcd_));
  if (controller.has_value()) response->set_controller(controller->node_id);
  TQDB_ASSIGN_OR_RETURN(const std::vector<std::string> names, view_->ListCollections());
  for (const std::string& name : names) {
    absl::StatusOr<std::shared_ptr<const Placement>> placement = view_->Find(name, true);
    if (!placement.ok()) continue;  // dropped meanwhile
    v1::DescribeCollectionRequest describe;
    describe.set_collection(name);
    std::vector<ShardRequest<v1::DescribeCollectionRequest, v1::DescribeCollectionResponse>> parts(
        (*placement)->map.shards.size());
    for (uint32_t shard = 0; shard < parts.size(); ++shard) {
      parts[shard].shard = shard;
      parts[shard].request = describe;
    }
    SendToOwners(call, name, *placement, &parts, &server::Api::DescribeCollection,
                 &v1::Tqdb::Stub::PrepareAsyncDescribeCollection);
    v1::GetClusterStatusResponse::Collection* collection = response->add_collections();
    collection->set_name(name);
    for (const auto& part : parts) {
      v1::GetClusterStatusResponse::Shard* shard = collection->add_shards();
      const ShardOwner& owner = (*placement)->map.shards[part.shard];
      shard->set_shard(part.shard);
      shard->set_node(owner.node);
      shard->set_epoch(owner.epoch);
      shard->set_answered(part.status.ok());
      for (const std::string& node : owner.in_sync) shard->add_in_sync(node);
      if (part.status.ok()) {
        shard->set_vectors(part.response.count());
        *shard->mutable_replicas() = part.response.replicas();
      } else {
        shard->set_error(std::string(part.status.message()));
        for (const std::string& node : owner.replicas) shard->add_replicas()->set_node(node);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace tqdb::cluster
