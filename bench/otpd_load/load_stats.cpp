#include "load_stats.hpp"

namespace kotp::bench {

const char* kind_name(Kind kind) noexcept {
    switch (kind) {
        case Kind::Right: return "right";
        case Kind::Wrong: return "wrong";
        case Kind::Replay: return "replay";
    }
    return "?";
}

void LoadStats::merge(const LoadStats& o) {
    measured += o.measured;
    for (std::size_t i = 0; i < kKinds; ++i) measured_by_kind[i] += o.measured_by_kind[i];
    accepted += o.accepted;
    refused_wrong += o.refused_wrong;
    refused_replay += o.refused_replay;
    refused_other += o.refused_other;
    latency.merge(o.latency);
    completed += o.completed;
    mismatches += o.mismatches;
    errors += o.errors;
    wrong_sent_right += o.wrong_sent_right;
    replay_sent_right += o.replay_sent_right;
    right_sent_replay += o.right_sent_replay;
    users_skipped += o.users_skipped;
    for (const auto& e : o.mismatch_examples)
        if (mismatch_examples.size() < kExamples) mismatch_examples.push_back(e);
    for (const auto& e : o.error_examples)
        if (error_examples.size() < kExamples) error_examples.push_back(e);
}

}  // namespace kotp::bench
