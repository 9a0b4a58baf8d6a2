#include "pam_stack_walk.hpp"

#include <algorithm>
#include <array>
#include <compare>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>

namespace kotp::admin {
namespace {

// libpam's "impression" of the stack so far.
enum class Impression : std::int8_t { Undecided, Positive, Negative };

enum class Kotp : std::uint8_t { NotRun, Failed, Succeeded };

constexpr std::size_t kMaxLevels = 20;  // above the reader's nesting limit

struct Saved {
    Impression impression = Impression::Undecided;
    bool success = false;
    auto operator<=>(const Saved&) const = default;
};

// One point of one path through the stack: libpam's loop variables plus what doctor tracks.
struct State {
    std::size_t index = 0;
    int prev_level = 0;
    Impression impression = Impression::Undecided;
    bool success = false;  // status == PAM_SUCCESS (it starts as PAM_PERM_DENIED)
    Kotp kotp = Kotp::NotRun;
    std::array<Saved, kMaxLevels> saved{};  // substates[] for "reset"
    std::optional<std::size_t> cause;       // index into the causes found so far
    auto operator<=>(const State&) const = default;
};

std::vector<PamResult> possible_results(const PamModule& module) {
    if (module.must_fail) return {PamResult::PermDenied};
    if (module.is_kotp()) {
        std::vector<PamResult> results{PamResult::Success};
        const auto& failures = kotp_failures();
        results.insert(results.end(), failures.begin(), failures.end());
        return results;
    }
    const std::string name = module.file_name();
    if (name == "pam_permit.so") return {PamResult::Success};
    if (name == "pam_deny.so") return {PamResult::AuthErr};
    std::vector<PamResult> results{PamResult::Success, PamResult::Ignore, PamResult::AuthErr};
    for (std::size_t i = 0; i < kPamResultCount; ++i) {
        const auto result = static_cast<PamResult>(i);
        if (module.control.named[i] &&
            std::find(results.begin(), results.end(), result) == results.end())
            results.push_back(result);
    }
    return results;
}

class Walker {
  public:
    explicit Walker(const std::vector<PamModule>& stack) : stack_(stack) {
        walk_.reached.assign(stack.size(), false);
    }

    PamWalk run() {
        push(State{});
        while (!queue_.empty()) {
            const State state = queue_.front();
            queue_.pop_front();
            if (state.index >= stack_.size())
                finish(state);
            else
                step(state);
        }
        return walk_;
    }

  private:
    void push(const State& state) {
        if (seen_.insert(state).second) queue_.push_back(state);
    }

    int level_of(std::size_t index) const {
        return std::min(stack_[index].level, static_cast<int>(kMaxLevels) - 1);
    }

    // After "done" or "die": past every module left at this level and below it.
    std::size_t end_of_level(std::size_t index, int level) const {
        std::size_t j = index;
        while (j + 1 < stack_.size() && level_of(j + 1) >= level) ++j;
        return j + 1;
    }

    // After a jump of `count`: the modules at this level are skipped one by one, a substack
    // counting as one. nullopt when the jump runs past the end ("bad jump in stack").
    std::optional<std::size_t> jump_target(std::size_t index, int level, int count) const {
        std::size_t j = index;
        while (j + 1 < stack_.size() && level_of(j + 1) >= level && count > 0) {
            do {
                ++j;
            } while (j + 1 < stack_.size() && level_of(j + 1) > level);
            --count;
        }
        if (count > 0) return std::nullopt;
        return j + 1;
    }

    std::optional<std::size_t> first_kotp(std::size_t from, std::size_t to) const {
        for (std::size_t i = from; i < to && i < stack_.size(); ++i)
            if (stack_[i].is_kotp()) return i;
        return std::nullopt;
    }

    void blame(State& state, PamBypass bypass) {
        if (state.cause) return;  // the first thing that let pam_kotp.so off explains the path
        const auto found = std::find(causes_.begin(), causes_.end(), bypass);
        state.cause = static_cast<std::size_t>(found - causes_.begin());
        if (found == causes_.end()) causes_.push_back(bypass);
    }

    void step(const State& state) {
        const PamModule& module = stack_[state.index];
        const int level = level_of(state.index);
        State base = state;
        if (state.prev_level < level)
            base.saved[static_cast<std::size_t>(level)] = {state.impression, state.success};
        base.prev_level = level;
        if (module.substack_entry) {
            base.index = state.index + 1;
            push(base);
            return;
        }
        walk_.reached[state.index] = true;
        for (const PamResult result : possible_results(module)) {
            State next = base;
            const PamAction action = module.control.actions[static_cast<std::size_t>(result)];
            const std::size_t skipped_to = apply(next, action, result == PamResult::Success, level);
            note_kotp(next, state, module, action, result);
            if (next.kotp != Kotp::Succeeded) {
                if (const auto kotp = first_kotp(state.index + 1, skipped_to)) {
                    blame(next, {action.kind == PamAction::Jump ? PamBypass::JumpedOver
                                                                : PamBypass::EndedBefore,
                                 state.index, result, *kotp});
                }
            }
            next.index = skipped_to;
            push(next);
        }
    }

    // libpam's switch on the action; returns the index of the next module to run.
    std::size_t apply(State& s, PamAction action, bool success, int level) const {
        const std::size_t following = s.index + 1;
        switch (action.kind) {
            case PamAction::Reset:
                s.impression = s.saved[static_cast<std::size_t>(level)].impression;
                s.success = s.saved[static_cast<std::size_t>(level)].success;
                return following;
            case PamAction::Ok:
            case PamAction::Done:
                if (s.impression == Impression::Undecided ||
                    (s.impression == Impression::Positive && s.success)) {
                    s.impression = Impression::Positive;
                    s.success = success;
                }
                if (s.impression == Impression::Positive && action.kind == PamAction::Done)
                    return end_of_level(s.index, level);
                return following;
            case PamAction::Bad:
            case PamAction::Die:
                if (s.impression != Impression::Negative) {
                    s.impression = Impression::Negative;
                    s.success = false;
                }
                return action.kind == PamAction::Die ? end_of_level(s.index, level) : following;
            case PamAction::Ignore:
                return following;
            case PamAction::Jump:
                if (const auto target = jump_target(s.index, level, action.jump)) return *target;
                s.impression = Impression::Negative;
                s.success = false;
                return end_of_level(s.index, level);  // libpam went past the end of the level
        }
        return following;
    }

    void note_kotp(State& next, const State& before, const PamModule& module, PamAction action,
                   PamResult result) {
        if (module.is_kotp()) {
            if (result == PamResult::Success) {
                next.kotp = Kotp::Succeeded;
                return;
            }
            if (next.kotp == Kotp::NotRun) next.kotp = Kotp::Failed;
            if (action.kind == PamAction::Ignore || action.kind == PamAction::Jump ||
                action.kind == PamAction::Reset)
                blame(next, {PamBypass::KotpIgnored, before.index, result, before.index});
        } else if (action.kind == PamAction::Reset && before.kotp == Kotp::Failed) {
            blame(next, {PamBypass::ResetAfterKotp, before.index, result, 0});
        }
    }

    void finish(const State& state) {
        if (state.impression != Impression::Positive || !state.success) return;
        walk_.can_succeed = true;
        if (state.kotp == Kotp::Succeeded || !state.cause) return;
        const PamBypass& bypass = causes_[*state.cause];
        if (std::find(walk_.bypasses.begin(), walk_.bypasses.end(), bypass) == walk_.bypasses.end())
            walk_.bypasses.push_back(bypass);
    }

    const std::vector<PamModule>& stack_;
    PamWalk walk_;
    std::vector<PamBypass> causes_;
    std::set<State> seen_;
    std::deque<State> queue_;
};

}  // namespace

const std::vector<PamResult>& kotp_failures() {
    static const std::vector<PamResult> failures{PamResult::AuthErr,         PamResult::Maxtries,
                                                 PamResult::AuthinfoUnavail, PamResult::ConvErr,
                                                 PamResult::UserUnknown,     PamResult::ServiceErr};
    return failures;
}

PamWalk walk_auth_stack(const std::vector<PamModule>& stack) {
    return Walker(stack).run();
}

}  // namespace kotp::admin
