{
  "targets": [
    {
      "target_name": "piranha_native",
      "sources": [
        "native/loop.c",
        "native/relay.c", "native/relay-conn.c", "native/relay-pump.c",
        "native/checks.c", "native/checks-schedule.c", "native/checks-probe.c"
      ],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
