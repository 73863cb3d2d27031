// The modes of the peer; see exchange.h.
#include "exchange.h"

#include <fmt/format.h>

#include <algorithm>

#include "last_words.h"
#include "tally.h"

namespace faultline::peer {
namespace {

// End markers over channels that may lose messages: a few, so one getting through is likely;
// the receiver also stops once it has everything, or after --idle with --allow-loss.
constexpr int kEndMarkersLossy = 3;

class Exchange final {
 public:
  Exchange(const PeerOptions& o, Transport& t, Deadline deadline)
      : o_(o), t_(t), deadline_(deadline), tally_(o.messages) {
    summary_.mode = o.mode;
    summary_.type = o.type;
    doing_ = o.sends_first() ? Doing::sending : Doing::receiving;
    LastWords::set_progress([this] { return last_words(); });
  }
  ~Exchange() { LastWords::set_progress(nullptr); }
  Exchange(const Exchange&) = delete;  // the last words refer to this one
  Exchange& operator=(const Exchange&) = delete;

  Outcome run() {
    switch (o_.mode) {
      case Mode::send:
        send_all();
        break;
      case Mode::recv:
      case Mode::echo:
        receive_all(o_.mode == Mode::echo);
        break;
      case Mode::request:
        request_all();
        break;
    }
    return finish();
  }

 private:
  // Waits for the next message: until the deadline, or with --allow-loss for at most --idle
  // once something arrived (the rest may never come). An echo server waits for the end
  // marker instead: its client may be waiting out --idle for a lost answer just then.
  Message next(bool got_any) {
    Deadline until = deadline_;
    if (o_.allow_loss && got_any && o_.mode != Mode::echo) {
      until =
          std::min(deadline_, Clock::now() + std::chrono::duration_cast<Clock::duration>(o_.idle));
    }
    progress(Doing::receiving);
    return t_.receive(until);
  }

  enum class Doing { receiving, sending };
  // The exchange moved on; the last words are rendered from it when the peer next waits.
  void progress(Doing doing) {
    doing_ = doing;
    LastWords::changed();
  }

  // What the summary says if a stop signal ends the exchange now: how far it got and what it
  // was doing. Frames that may still come are not counted as lost.
  std::string last_words() {
    Summary s = tallied();
    if (o_.mode != Mode::send) s.lost = tally_.lost_so_far();
    s.intact = false;
    std::string doing;
    if (doing_ == Doing::receiving && o_.mode == Mode::request && summary_.sent > 0) {
      doing = fmt::format("waiting for the answer to message {} of {}", summary_.sent, o_.messages);
    } else if (doing_ == Doing::receiving) {
      doing = fmt::format("waiting for messages, {} of {} still to come", tally_.still_to_come(),
                          o_.messages);
    } else if (o_.mode == Mode::echo) {
      doing = fmt::format("sending answer {}", summary_.sent + 1);
    } else {
      doing = fmt::format("sending message {} of {}", summary_.sent + 1, o_.messages);
    }
    s.error = "stopped by a signal while " + doing;
    return to_json_line(s);
  }

  Summary tallied() {
    Summary s = summary_;
    s.stats = t_.stats();
    s.connections = t_.connections();
    if (o_.mode != Mode::send) {
      s.received = tally_.received();
      s.lost = tally_.lost();
      s.duplicated = tally_.duplicated();
      s.reordered = tally_.reordered();
      s.corrupted = tally_.corrupted();
    }
    return s;
  }

  void pace(std::uint32_t seq) {
    if (o_.rate <= 0) return;
    progress(Doing::sending);  // waiting for its turn to send, not for an answer
    auto at = start_ + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(seq / o_.rate));
    sleep_until(std::min(at, deadline_));
  }

  bool send_frame(std::span<const std::uint8_t> frame, const char* what) {
    progress(Doing::sending);
    IoStatus status = t_.send(frame, deadline_);
    if (status == IoStatus::ok) return true;
    summary_.error = std::string(what) + (status == IoStatus::timeout
                                              ? ": timed out (the other side is not reading)"
                                              : ": the other side went away");
    return false;
  }

  std::vector<std::uint8_t> data_frame(std::uint32_t seq) const {
    auto payload = make_payload(o_.seed, seq, o_.size_min, o_.size_max);
    return encode_frame(FrameHeader{seq, 0, 0}, payload);
  }

  void send_end() {
    auto end = encode_frame(FrameHeader{o_.messages, 0, kFlagEnd}, {});
    int markers = t_.message_based() ? kEndMarkersLossy : 1;
    // The receiver may already have stopped (it had everything): a failure here is no news.
    for (int i = 0; i < markers; ++i) {
      try {
        if (t_.send(end, std::min(deadline_, Clock::now() + std::chrono::milliseconds(200))) !=
            IoStatus::ok) {
          break;
        }
      } catch (const ChannelFailure&) {
        break;
      }
    }
    t_.finish_sending();
  }

  void send_all() {
    for (std::uint32_t seq = 0; seq < o_.messages; ++seq) {
      pace(seq);
      if (!send_frame(data_frame(seq), "send")) return;
      ++summary_.sent;
    }
    send_end();
  }

  void receive_all(bool echo) {
    bool got_any = false;
    // A channel that delivers whole messages has nothing more to say once all are in; a
    // stream waits for the end marker, so the sender never writes into a closed channel.
    while (!(t_.message_based() && tally_.complete())) {
      Message m = next(got_any);
      if (m.kind == Message::Kind::timeout) {
        if (!(o_.allow_loss && got_any)) summary_.error = "timed out waiting for messages";
        return;
      }
      if (m.kind == Message::Kind::closed) return;
      got_any = true;
      if (m.kind == Message::Kind::corrupt) {
        tally_.corrupt();
        continue;
      }
      if (m.header.flags & kFlagEnd) return;
      tally_.intact(m.header.seq);
      if (echo) {
        if (!send_frame(m.bytes, "echo")) return;
        ++summary_.sent;
      }
    }
  }

  void request_all() {
    bool got_any = false;
    for (std::uint32_t seq = 0; seq < o_.messages; ++seq) {
      pace(seq);
      if (!send_frame(data_frame(seq), "request")) return;
      ++summary_.sent;
      for (;;) {
        Message m = next(true);
        if (m.kind == Message::Kind::timeout) {
          if (o_.allow_loss && Clock::now() < deadline_) break;  // this answer is lost
          summary_.error = "timed out waiting for the answer to message " + std::to_string(seq);
          return;
        }
        if (m.kind == Message::Kind::closed) {
          summary_.error = "the echo server went away after " + std::to_string(seq) + " answers";
          return;
        }
        got_any = true;
        if (m.kind == Message::Kind::corrupt) {
          tally_.corrupt();  // the answer to this request, damaged
          break;
        }
        if (m.header.flags & kFlagEnd) continue;
        tally_.intact(m.header.seq);
        if (m.header.seq == seq) break;  // earlier answers arriving late were counted above
      }
    }
    (void)got_any;
    send_end();
  }

  Outcome finish() {
    Outcome out;
    Summary s = tallied();
    bool all_sent = o_.mode == Mode::recv || o_.mode == Mode::echo || s.sent == o_.messages;
    s.intact = all_sent && s.lost == 0 && s.duplicated == 0 && s.reordered == 0 &&
               s.corrupted == 0 && s.error.empty();
    bool allowed = all_sent && s.error.empty() && s.duplicated == 0 && s.reordered == 0 &&
                   (s.lost == 0 || o_.allow_loss) && (s.corrupted == 0 || o_.allow_corrupt);
    out.exit_status = s.intact || allowed ? 0 : 1;
    out.summary = s;
    return out;
  }

  const PeerOptions& o_;
  Transport& t_;
  Deadline deadline_;
  Deadline start_ = Clock::now();
  Tally tally_;
  Summary summary_;
  Doing doing_ = Doing::receiving;
};

}  // namespace

Outcome run_exchange(const PeerOptions& options, Transport& transport, Deadline deadline) {
  return Exchange(options, transport, deadline).run();
}

}  // namespace faultline::peer
