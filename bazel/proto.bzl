"""Protobuf and gRPC C++ code generation with the system protoc."""

def cc_grpc_proto_library(name, src, deps = [], visibility = None):
    """Generates and compiles the C++ message and gRPC code for one .proto.

    Args:
      name: the cc_library to define.
      src: the .proto file, in this package.
      deps: cc_library targets of imported protos.
      visibility: passed to the cc_library.
    """
    base = src[:-len(".proto")]
    pkg = native.package_name()
    outs = [
        base + ".pb.h",
        base + ".pb.cc",
        base + ".grpc.pb.h",
        base + ".grpc.pb.cc",
    ]

    # Run from the repository root so generated files carry the include path
    # "<package>/<file>.pb.h", and strip the package from $(@D) to find it.
    native.genrule(
        name = name + "_codegen",
        srcs = [src],
        outs = outs,
        cmd = ("protoc --proto_path=. " +
               "--plugin=protoc-gen-grpc=$$(command -v grpc_cpp_plugin) " +
               "--cpp_out=$(GENDIR) --grpc_out=$(GENDIR) $(location " + src + ")"),
    )
    native.cc_library(
        name = name,
        srcs = [base + ".pb.cc", base + ".grpc.pb.cc"],
        hdrs = [base + ".pb.h", base + ".grpc.pb.h"],
        deps = deps + ["@system//:grpc"],
        visibility = visibility,
    )
