// Certificates for TLS tests, made with Debian's openssl in a test's directory.
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace tqdb::testing {

inline std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Makes `name`.key and `name`.pem in `dir`, signed by the CA `ca` (ca.pem, ca.key), for
// 127.0.0.1 (a server) or any client; `client_too`: a server's that also serves as a client's (a
// cluster node's, which calls the other nodes with it).
inline void MakeCertificate(const std::string& dir, const std::string& ca, const std::string& name,
                            bool server, bool client_too = false) {
  const std::string ext = dir + "/" + name + ".ext";
  std::ofstream(ext) << (server ? std::string("subjectAltName=IP:127.0.0.1,DNS:localhost\n") +
                                      (client_too ? "extendedKeyUsage=serverAuth,clientAuth\n"
                                                  : "extendedKeyUsage=serverAuth\n")
                                : std::string("extendedKeyUsage=clientAuth\n"));
  const std::string d = dir + "/";
  const std::string command =
      "openssl req -newkey rsa:2048 -nodes -keyout " + d + name + ".key -out " + d + name +
      ".csr -subj /CN=" + name + " 2>/dev/null && openssl x509 -req -in " + d + name + ".csr -CA " +
      d + ca + ".pem -CAkey " + d + ca + ".key -CAcreateserial -days 2 -out " + d + name +
      ".pem -extfile " + ext + " 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

inline void MakeCa(const std::string& dir, const std::string& ca) {
  const std::string d = dir + "/";
  const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout " + d +
                              ca + ".key -out " + d + ca + ".pem -subj /CN=" + ca + " 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

}  // namespace tqdb::testing
