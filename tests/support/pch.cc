// The source of faultline_test_pch (tests/CMakeLists.txt), the target that builds the test
// executables' precompiled header: CMake needs one file to compile it with.
