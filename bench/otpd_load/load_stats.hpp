// What the client threads count; merged after the run.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "latency_histogram.hpp"

namespace kotp::bench {

// What a visit sends: the code the model says is right, a wrong one, or the code the user's
// token was last accepted with.
enum class Kind : std::uint8_t { Right = 0, Wrong = 1, Replay = 2 };
inline constexpr std::size_t kKinds = 3;
const char* kind_name(Kind kind) noexcept;  // "right", "wrong", "replay"

struct LoadStats {
    // The measured phase.
    std::uint64_t measured = 0;                       // exchanges that ended with a final reply
    std::array<std::uint64_t, kKinds> measured_by_kind{};
    std::uint64_t accepted = 0;                       // KS0000
    std::uint64_t refused_wrong = 0;                  // KS1003
    std::uint64_t refused_replay = 0;                 // KS1004
    std::uint64_t refused_other = 0;                  // any other status (always a mismatch here)
    LatencyHistogram latency;                         // connect to final reply

    // Every phase (warm-up and drain too).
    std::uint64_t completed = 0;
    std::uint64_t mismatches = 0;  // a reply other than the predicted one
    std::uint64_t errors = 0;      // no reply: connect error, timeout, closed, malformed, Error frame
    // Draws of the mix that were sent as another kind (see LoadRun in load_worker.hpp).
    std::uint64_t wrong_sent_right = 0;   // the user had 3 failures: a right code keeps it from suspension
    std::uint64_t replay_sent_right = 0;  // no code of this client was accepted recently enough
    std::uint64_t right_sent_replay = 0;  // TOTP: the user was accepted in this step already
    std::uint64_t users_skipped = 0;      // TOTP: a busy user passed over for the next one
    std::vector<std::string> mismatch_examples;
    std::vector<std::string> error_examples;

    static constexpr std::size_t kExamples = 10;
    void merge(const LoadStats& other);
};

}  // namespace kotp::bench
