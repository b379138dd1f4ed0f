{
  "targets": [
    {
      "target_name": "gendice_dnnl",
      "sources": [
        "src/addon.cc",
        "src/arguments.cc",
        "src/convolution.cc",
        "src/elementwise.cc",
        "src/sum.cc",
        "src/maxPool.cc",
        "src/copyRuns.cc",
        "src/maxout.cc",
        "src/optimizer.cc",
        "src/softmaxOverlap.cc",
        "src/valueScan.cc",
        "src/windowBlend.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fopenmp", "-ffp-contract=off"],
      "libraries": ["-ldnnl", "-lgomp"]
    }
  ]
}
