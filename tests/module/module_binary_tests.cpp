// The shape of the built pam_kotp.so: it loads with every symbol resolved, exports only the PAM
// entry points, pulls in nothing heavy, and is linked with full RELRO.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

#include "test_processes.hpp"

namespace kotp::test {
namespace {

TEST(ModuleBinary, LoadsWithRtldNowAndHasBothEntryPoints) {
    void* handle = ::dlopen(PAM_KOTP_PATH, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle, nullptr) << ::dlerror();
    EXPECT_NE(::dlsym(handle, "pam_sm_authenticate"), nullptr);
    EXPECT_NE(::dlsym(handle, "pam_sm_setcred"), nullptr);
    // Nothing else, e.g. the entry points PAM would call for other stacks, is there.
    EXPECT_EQ(::dlsym(handle, "pam_sm_acct_mgmt"), nullptr);
    ::dlclose(handle);
}

TEST(ModuleBinary, ExportsOnlyPamEntryPoints) {
    const std::string output =
        command_output(std::string("nm -D --defined-only '") + PAM_KOTP_PATH + "'");
    std::set<std::string> names;
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        const auto space = line.rfind(' ');
        if (!line.empty()) names.insert(space == std::string::npos ? line : line.substr(space + 1));
    }
    EXPECT_EQ(names, (std::set<std::string>{"pam_sm_authenticate", "pam_sm_setcred"})) << output;
}

TEST(ModuleBinary, LinksNoHeavyLibraries) {
    const std::string output = command_output(std::string("ldd '") + PAM_KOTP_PATH + "'");
    ASSERT_NE(output.find("libpam.so"), std::string::npos) << output;
    for (const char* heavy : {"libssl", "libcrypto", "libsqlite3", "libboost"})
        EXPECT_EQ(output.find(heavy), std::string::npos) << heavy << " in:\n" << output;
}

TEST(ModuleBinary, IsLinkedWithFullRelro) {
    const std::string dynamic = command_output(std::string("readelf -d '") + PAM_KOTP_PATH + "'");
    EXPECT_NE(dynamic.find("BIND_NOW"), std::string::npos) << dynamic;
    const std::string headers = command_output(std::string("readelf -lW '") + PAM_KOTP_PATH + "'");
    EXPECT_NE(headers.find("GNU_RELRO"), std::string::npos) << headers;
}

}  // namespace
}  // namespace kotp::test
