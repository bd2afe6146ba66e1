// A test fixture with a real etcd (etcd_process.h) in its own directory and a client of it that
// has been answered once: what the cluster suites start from.
#pragma once

#include <chrono>
#include <memory>
#include <thread>

#include "cluster/etcd_client.h"
#include "etcd_process.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace tqdb::testing {

class EtcdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_ = std::make_unique<EtcdProcess>(dir_.path() + "/etcd");
    auto client = cluster::EtcdClient::Connect(etcd_->endpoint());
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    // The first requests can race the member's self-election: wait until one is answered.
    for (int i = 0; i < 100 && !client_->Get("warm-up").ok(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(client_->Get("warm-up").ok()) << etcd_->Log();
  }

  ScopedTempDir dir_;
  std::unique_ptr<EtcdProcess> etcd_;
  std::unique_ptr<cluster::EtcdClient> client_;
};

}  // namespace tqdb::testing
