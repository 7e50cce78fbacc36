# The build's Debian -dev packages unpacked into one folder (scripts/bundle-deps.sh
# makes it; scripts/gpu-check.sh builds with it on a machine that has none of
# them and maybe no pkg-config). With -DR1_DEPS_BUNDLE=<folder>, every library
# pkg-config would have found comes from the folder instead, as the same
# imported target (PkgConfig::<name>); GTest and nlohmann_json are found there
# through CMAKE_PREFIX_PATH. Static archives where Debian ships them; ICU (its
# 31 MB data would be copied into every program) and cpp-httplib (Debian has
# only the shared library) are shared: run with LD_LIBRARY_PATH=<folder>/lib.
get_filename_component(R1_DEPS_BUNDLE "${R1_DEPS_BUNDLE}" ABSOLUTE)
if(NOT EXISTS "${R1_DEPS_BUNDLE}/usr/include/pcre2.h")
  message(FATAL_ERROR "R1_DEPS_BUNDLE=${R1_DEPS_BUNDLE}: no usr/include/pcre2.h there; "
                      "make the bundle with scripts/bundle-deps.sh")
endif()
# usr/include/x86_64-linux-gnu: OpenSSL's configuration headers.
set(R1_BUNDLE_INCLUDE "${R1_DEPS_BUNDLE}/usr/include" "${R1_DEPS_BUNDLE}/usr/include/x86_64-linux-gnu")
set(R1_BUNDLE_LIB "${R1_DEPS_BUNDLE}/usr/lib/x86_64-linux-gnu")
list(PREPEND CMAKE_PREFIX_PATH "${R1_DEPS_BUNDLE}/usr")
# Debian's multiarch layout (usr/lib/x86_64-linux-gnu/cmake/GTest): searched
# only when CMake knows the architecture, which it does not on other distributions.
if(NOT CMAKE_LIBRARY_ARCHITECTURE)
  set(CMAKE_LIBRARY_ARCHITECTURE x86_64-linux-gnu)
endif()

# One library of the bundle as PkgConfig::<name>: its files only, never the system's.
function(r1_bundle_library name)
  cmake_parse_arguments(ARG "" "" "LIBS;DEFINES;LINK" ${ARGN})
  set(paths)
  foreach(lib ${ARG_LIBS})
    find_library(R1_BUNDLE_${lib} NAMES ${lib} PATHS "${R1_BUNDLE_LIB}" NO_DEFAULT_PATH)
    if(NOT R1_BUNDLE_${lib})
      message(FATAL_ERROR "R1_DEPS_BUNDLE: ${lib} not in ${R1_BUNDLE_LIB}")
    endif()
    list(APPEND paths "${R1_BUNDLE_${lib}}")
  endforeach()
  add_library(PkgConfig::${name} INTERFACE IMPORTED GLOBAL)
  set_target_properties(PkgConfig::${name} PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${R1_BUNDLE_INCLUDE}"
    INTERFACE_LINK_LIBRARIES "${paths};${ARG_LINK}"
    INTERFACE_COMPILE_DEFINITIONS "${ARG_DEFINES}")
endfunction()

# The shared libraries' own dependencies (libcpp-httplib's OpenSSL): found by
# the linker in the bundle, and by the loader through the programs' RPATH
# (DT_RUNPATH would not apply to a library's dependencies).
add_link_options("-Wl,-rpath-link,${R1_BUNDLE_LIB}" "-Wl,--disable-new-dtags")

find_package(Threads REQUIRED)
r1_bundle_library(PCRE2 LIBS libpcre2-8.a)
r1_bundle_library(SECCOMP LIBS libseccomp.a)
r1_bundle_library(ICU LIBS libicuuc.so.72 libicudata.so.72)
# The .so is built with TLS, gzip and brotli: the definitions must match its
# header's class layout (Debian's cpp-httplib.pc says the same).
r1_bundle_library(HTTPLIB LIBS libcpp-httplib.so.0.11
  DEFINES CPPHTTPLIB_OPENSSL_SUPPORT CPPHTTPLIB_ZLIB_SUPPORT CPPHTTPLIB_BROTLI_SUPPORT
  LINK Threads::Threads)
