package anomaly

import (
	"math"
	"strings"
)

// Rule identifies one detector.
type Rule uint8

// The detectors. Their names appear in alerts, logs, metrics, quarantine
// reasons and the configuration.
const (
	RuleVolume      Rule = iota // volume spike against the subject's baseline
	RuleBlocks                  // repeated guardrail blocks
	RuleStuffing                // credential stuffing from one address
	RuleDiversity               // sustained high volume with high prompt diversity
	RuleEnumeration             // templated prompts differing in a slot
	RuleLogprobs                // logprob harvesting
	RuleMaxTokens               // max_tokens maximization
	numRules
)

var ruleNames = [numRules]string{
	"volume_spike", "guardrail_blocks", "credential_stuffing",
	"extraction_diversity", "extraction_enumeration", "logprob_harvesting", "max_tokens_maximization",
}

// AllRules lists every detector, in order.
func AllRules() []Rule {
	out := make([]Rule, numRules)
	for i := range out {
		out[i] = Rule(i)
	}
	return out
}

func (r Rule) String() string {
	if r < numRules {
		return ruleNames[r]
	}
	return "unknown"
}

// Rules is a set of Rule.
type Rules uint16

// Has reports whether r is in the set.
func (s Rules) Has(r Rule) bool { return s&(1<<r) != 0 }

func (s *Rules) add(r Rule) { *s |= 1 << r }

// String lists the rules, comma-separated.
func (s Rules) String() string {
	var b strings.Builder
	for r := Rule(0); r < numRules; r++ {
		if s.Has(r) {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(r.String())
		}
	}
	return b.String()
}

// actionSet is the compiled form of a rule's actions.
type actionSet uint8

const (
	doAlert actionSet = 1 << iota
	doThrottle
	doQuarantine
	doBlock
)

func compileActions(as []Action) actionSet {
	var s actionSet
	for _, a := range as {
		switch a {
		case ActAlert:
			s |= doAlert
		case ActThrottle:
			s |= doThrottle
		case ActQuarantine:
			s |= doQuarantine
		case ActBlock:
			s |= doBlock
		}
	}
	return s
}

func (s actionSet) names() []string {
	var out []string
	for i, n := range []string{"alert", "throttle", "quarantine", "block"} {
		if s&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// ewma is an exponentially weighted mean and variance.
type ewma struct {
	mean, vr float64
}

func (e *ewma) add(alpha, x float64) {
	d := x - e.mean
	e.mean += alpha * d
	e.vr = (1 - alpha) * (e.vr + alpha*d*d)
}

func (e *ewma) sd() float64 { return math.Sqrt(e.vr) }

// volumeState counts one subject's requests per minute.
type volumeState struct {
	minute      int64 // unix minute of the open bucket; 0 = never seen
	count       int64 // requests in the open bucket seen by this replica
	shared      int64 // requests in the open bucket across replicas (last flush)
	pending     int64 // not yet added to the shared counter
	closed      int   // closed minutes folded into base
	base        ewma
	firedMinute int64
}

// maxGapFold bounds the work of folding a long idle gap: after this many
// empty minutes the baseline has decayed to nearly nothing anyway.
const maxGapFold = 1440

// observe adds one request at minute m and reports whether the open
// minute now exceeds the subject's threshold.
func (v *volumeState) observe(c *VolumeConfig, m int64) (fire bool, observed, threshold float64) {
	if v.minute == 0 {
		v.minute = m
	}
	if m > v.minute {
		v.roll(c, m)
	}
	if m == v.minute {
		v.count++
		v.pending++
	}
	n := v.count
	if v.shared+v.pending > n {
		n = v.shared + v.pending
	}
	t := v.threshold(c)
	if v.closed < c.Warmup || float64(n) <= t || v.firedMinute == v.minute {
		return false, float64(n), t
	}
	v.firedMinute = v.minute
	return true, float64(n), t
}

func (v *volumeState) threshold(c *VolumeConfig) float64 {
	t := v.base.mean + c.K*v.base.sd()
	if r := c.Ratio * v.base.mean; r > t {
		t = r
	}
	if m := float64(c.MinRPM); m > t {
		t = m
	}
	return t
}

// roll closes the open minute (and any empty ones up to m) into the
// baseline. A minute that exceeded the threshold is folded in at the
// threshold, so an attack does not teach the baseline that it is normal.
func (v *volumeState) roll(c *VolumeConfig, m int64) {
	n := v.count
	if v.shared > n {
		n = v.shared
	}
	x := float64(n)
	if t := v.threshold(c); x > t && v.closed >= c.Warmup {
		x = t
	}
	v.base.add(c.Alpha, x)
	v.closed++
	gap := m - v.minute - 1
	if gap > maxGapFold {
		gap = maxGapFold
	}
	for range gap {
		v.base.add(c.Alpha, 0)
		v.closed++
	}
	v.minute, v.count, v.shared, v.pending = m, 0, 0, 0
}

// timeRing holds the times of the last len(t) events.
type timeRing struct {
	t    []int64
	tags []uint64 // optional, parallel to t
	next int
	n    int
}

func newTimeRing(n int, tagged bool) timeRing {
	r := timeRing{t: make([]int64, n)}
	if tagged {
		r.tags = make([]uint64, n)
	}
	return r
}

// add records an event at now and reports whether the ring is full and
// its oldest event is within window of now.
func (r *timeRing) add(now, window int64, tag uint64) bool {
	r.t[r.next] = now
	if r.tags != nil {
		r.tags[r.next] = tag
	}
	r.next = (r.next + 1) % len(r.t)
	if r.n < len(r.t) {
		r.n++
	}
	return r.n == len(r.t) && now-r.t[r.next] < window
}

func (r *timeRing) reset() { r.n, r.next = 0, 0 }

// distinctTags counts the distinct non-zero tags in the ring (a zero tag
// counts as distinct: the gateway did not say which credential was used).
func (r *timeRing) distinctTags() int {
	d := 0
	for i := 0; i < r.n; i++ {
		tag := r.tags[i]
		if tag == 0 {
			d++
			continue
		}
		seen := false
		for j := 0; j < i; j++ {
			if r.tags[j] == tag {
				seen = true
				break
			}
		}
		if !seen {
			d++
		}
	}
	return d
}

// heavy is a Misra–Gries summary: any value making up more than 1/(k+1)
// of the stream is kept, with a count that is low by at most n/(k+1).
type heavy struct {
	v [hhK]uint64
	c [hhK]uint32
}

const hhK = 16

func (h *heavy) add(x uint64) {
	free := -1
	for i := range h.v {
		if h.c[i] != 0 && h.v[i] == x {
			h.c[i]++
			return
		}
		if h.c[i] == 0 && free < 0 {
			free = i
		}
	}
	if free >= 0 {
		h.v[free], h.c[free] = x, 1
		return
	}
	for i := range h.c {
		h.c[i]--
	}
}

func (h *heavy) top() uint32 {
	var m uint32
	for _, c := range h.c {
		m = max(m, c)
	}
	return m
}

// distinctBits estimates the number of distinct prompts with linear
// counting over a bitmap (standard error about 1% up to a few thousand
// prompts; it saturates near m·ln m ≈ 34,000).
type distinctBits struct {
	b     [distinctM / 64]uint64
	zeros int
}

const distinctM = 4096

func (d *distinctBits) reset() {
	d.b = [distinctM / 64]uint64{}
	d.zeros = distinctM
}

func (d *distinctBits) add(h uint64) {
	i := fmix(h) % distinctM
	w, bit := i/64, uint64(1)<<(i%64)
	if d.b[w]&bit == 0 {
		d.b[w] |= bit
		d.zeros--
	}
}

func (d *distinctBits) estimate() float64 {
	z := d.zeros
	if z == 0 {
		z = 1
	}
	return -distinctM * math.Log(float64(z)/distinctM)
}

// extractState holds one key's counters for the current extraction
// window.
type extractState struct {
	start             int64 // window start (unix nanoseconds); 0 = none
	n                 int64
	prints            int64 // requests that carried a prompt
	templated         int64 // requests whose prompt had a template
	logprobs, maxToks int64
	distinct          distinctBits
	head, tail        heavy
	fired             Rules // rules already fired in this window
}

func (e *extractState) roll(now int64) {
	e.start = now
	e.n, e.prints, e.templated, e.logprobs, e.maxToks = 0, 0, 0, 0, 0
	e.distinct.reset()
	e.head, e.tail = heavy{}, heavy{}
	e.fired = 0
}
