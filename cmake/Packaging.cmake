# The Debian package: `cpack -G DEB` in the build tree (or `cmake --build build --target
# package`) packs whatever `cmake --install` installs, under /usr. Included last from the
# top-level CMakeLists.txt, after every install() rule.
set(CPACK_PACKAGE_NAME faultline)
set(CPACK_PACKAGE_VENDOR faultline)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "test IPC code under failure")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
# As Debian ships binaries: without their debug information (the .deb would be ~80 MB).
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_PACKAGE_MAINTAINER "faultline maintainers <faultline@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The extended description, under the summary (CPack indents it as Debian wants).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "A scenario file (YAML) declares IPC channels (pipes, FIFOs, sockets, POSIX and
System V message queues, shared memory, semaphores), the processes that use them,
the faults to inject and what must still hold. faultline provisions the channels,
starts the processes with an LD_PRELOAD interposer (or a seccomp filter) that makes
their IPC calls fail on purpose, and judges whether the programs handled it: no
crash, no hang, no lost data, no IPC object left behind.")
# Depends: what the runner, the peer and the interposer link, as dpkg-shlibdeps names the
# Debian packages (libyaml-cpp0.7, libseccomp2, libfmt9, libc6, ...); CPack adds them to the
# list below. libdw1 is dlopened by the runner for site= (framework/src/faults/libdw.h), so
# dpkg-shlibdeps cannot see it: named here (0.158: dwfl_module_getsym_info, _addrinfo).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libdw1 (>= 0.158)")
# Not linked, used when present: gdb for the backtrace of a process hung at a timeout
# (processes/snapshot.cc runs it), libunwind8 for calling contexts (`explore --context K`:
# interpose/context.c dlopens libunwind.so.8). A run without them says what it missed.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gdb, libunwind8")
# The CMake package the .deb carries (lib/cmake/faultline) is for projects built with CMake.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "cmake")

include(CPack)
