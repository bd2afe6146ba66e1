# Copies one of etcd's .proto files (Debian's golang-etcd-server-dev) without what only its Go
# build uses: the gogoproto import and options, and the grpc-gateway HTTP annotations. What is
# left is plain proto3 that protoc and grpc_cpp_plugin turn into C++ stubs of etcd's v3 API.
# Usage: cmake -DIN=path/to/x.proto -DOUT=path/to/x.proto -P strip_gogo.cmake
file(READ "${IN}" text)
string(REGEX REPLACE "import \"gogoproto/gogo.proto\";\n" "" text "${text}")
string(REGEX REPLACE "import \"google/api/annotations.proto\";\n" "" text "${text}")
string(REGEX REPLACE "option \\(gogoproto\\.[a-z_]+\\) = [a-z]+;\n" "" text "${text}")
# An rpc's body holds one `option (google.api.http) = { ... };` and nothing else; a few nest one
# `additional_bindings { ... }` inside it, removed first.
string(REGEX REPLACE "additional_bindings {[^}]*}" "" text "${text}")
string(REGEX REPLACE "option \\(google\\.api\\.http\\) = {[^}]*};" "" text "${text}")
if(text MATCHES "gogoproto|google\\.api")
  message(FATAL_ERROR "${IN}: an option tqdb does not know how to strip is left")
endif()
file(WRITE "${OUT}" "${text}")
