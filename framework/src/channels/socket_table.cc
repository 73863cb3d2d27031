// Reading /proc/net socket tables; see socket_table.h.
#include "channels/socket_table.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace faultline {
namespace {

constexpr unsigned long kAcceptConnections = 0x10000;  // __SO_ACCEPTCON in the Flags column
constexpr unsigned kTcpListen = 0x0A;

bool parse_hex(std::string_view s, unsigned long& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return ec == std::errc() && end == s.data() + s.size();
}

// The table shows a socket's address as the server passed it to bind(): a server that
// bound a relative path shows just that, so a relative entry counts when it names our
// file and our file is a socket.
bool same_socket_path(const std::string& entry, const std::filesystem::path& path) {
  if (entry == path.string()) return true;
  if (entry.empty() || entry.front() == '/' || entry.front() == '@') return false;
  std::string suffix = "/" + entry;
  const std::string& full = path.string();
  if (full.size() < suffix.size() ||
      full.compare(full.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return false;
  }
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// Rows of /proc/net/{tcp,udp}[6]: "sl local_address rem_address st ...", the local address
// as HEXADDR:HEXPORT.
bool inet_table_has(const char* file, std::uint16_t port, bool require_listen) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    if (!(fields >> slot >> local >> remote >> state)) continue;
    auto colon = local.rfind(':');
    unsigned long local_port = 0, st = 0;
    if (colon == std::string::npos || !parse_hex(local.substr(colon + 1), local_port)) continue;
    if (local_port != port) continue;
    if (!require_listen) return true;
    if (parse_hex(state, st) && st == kTcpListen) return true;
  }
  return false;
}

}  // namespace

bool unix_socket_bound(const std::filesystem::path& path, int type, bool require_listening) {
  // "Num RefCount Protocol Flags Type St Inode Path"; Path is absent for unbound sockets and
  // may itself hold spaces, so it is the rest of the line.
  std::ifstream in("/proc/net/unix");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string num, refcount, protocol, flags, sock_type, state, inode;
    if (!(fields >> num >> refcount >> protocol >> flags >> sock_type >> state >> inode)) continue;
    std::string entry;
    std::getline(fields >> std::ws, entry);
    unsigned long flag_bits = 0, type_number = 0;
    if (!parse_hex(flags, flag_bits) || !parse_hex(sock_type, type_number)) continue;
    if (static_cast<int>(type_number) != type || !same_socket_path(entry, path)) continue;
    if (!require_listening || (flag_bits & kAcceptConnections) != 0) return true;
  }
  return false;
}

bool tcp_port_listening(std::uint16_t port) {
  return inet_table_has("/proc/net/tcp", port, true) ||
         inet_table_has("/proc/net/tcp6", port, true);
}

bool udp_port_bound(std::uint16_t port) {
  return inet_table_has("/proc/net/udp", port, false) ||
         inet_table_has("/proc/net/udp6", port, false);
}

}  // namespace faultline
