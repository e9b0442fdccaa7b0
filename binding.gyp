{
  "targets": [
    {
      "target_name": "piranha_native",
      "sources": ["native/loop.c", "native/relay.c", "native/checks.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
