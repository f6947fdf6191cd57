# Every dependency comes from a Debian package, found through pkg-config.
# A missing one stops the configuration with the package to install.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config")
endif()

function(yedek_require name module debian_pkg)
  pkg_check_modules(${name} QUIET IMPORTED_TARGET ${module})
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR
      "${module} not found: apt-get install ${debian_pkg}")
  endif()
endfunction()

yedek_require(SQLITE3  sqlite3    libsqlite3-dev)
yedek_require(ARCHIVE  libarchive libarchive-dev)
yedek_require(XXHASH   libxxhash  libxxhash-dev)
yedek_require(OPENSSL  openssl    libssl-dev)
yedek_require(UUID     uuid       uuid-dev)
yedek_require(JANSSON  jansson    libjansson-dev)
if(YEDEK_TESTS)
  yedek_require(CMOCKA cmocka     libcmocka-dev)
endif()
find_package(Threads REQUIRED)
