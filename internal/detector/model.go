// Package detector is Rampart's prompt-injection and jailbreak model: a
// tokenizer with multilingual meaning-level cues, hashed word and
// character n-gram features, a logistic-regression scorer applied to
// sliding windows, its binary weight format, and the training code that
// `rampart train` runs.
package detector

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"sync"
)

const (
	// Window is the number of tokens one scoring window covers; windows
	// overlap by half. Scoring windows instead of whole texts keeps text
	// length from being a shortcut and finds attacks buried in documents.
	Window = 32
	stride = Window / 2

	// Dense features: one per cue category, one per conjunction, the
	// conjunction count, window-level pairs (see pairs) and two measures
	// of adversarial-suffix debris.
	nDense = numCats + len(conjunctions) + 1 + 2*len(pairs) + 2
	magic  = "RAMPINJ3"

	// Hidden is the width of the non-linear part: ReLU units over an
	// embedding of word unigrams and bigrams plus the dense cue features.
	// It learns conjunctions the linear part cannot express ("a fictional
	// frame AND a harmful request AND no benign task").
	Hidden = 32

	// minFeats and minWordFeats floor the count that sums of hashed
	// weights are divided by (its square root): a text of two words does
	// not get each of its n-grams amplified several times over, so short
	// texts score high only through their meaning-level cues. Above four
	// times the floor (about one window's worth of features) a sum is
	// divided by the count itself (see norm).
	minFeats     = 64
	minWordFeats = 16
)

// norm is the divisor of a sum of n hashed weights: √n between the floor
// and 4·floor (about one 32-token window), and beyond that n/(2√floor),
// continuous at 4·floor — a sum over more features than a window holds
// counts as their mean scaled to one window. The whole-text window of a
// long text is therefore not amplified by √length: a long benign document
// whose words lean slightly towards attacks does not cross the threshold
// for being long.
func norm(n, floor int) float64 {
	if n > 4*floor {
		return float64(n) / (2 * math.Sqrt(float64(floor)))
	}
	return math.Sqrt(float64(max(n, floor)))
}

// Model holds trained weights. The zero value is not usable; load one with
// Decode or build one with Train.
type Model struct {
	HashBits  uint8
	Hash      []int8 // hashed n-gram weights, quantized
	HashScale float32
	Dense     [nDense]float32 // cue and conjunction weights
	Bias      float32

	// Type head: P(jailbreak | attack), over the best window.
	TypeBits  uint8
	Type      []int8
	TypeScale float32
	TypeDense [nDense]float32
	TypeBias  float32

	// Non-linear part: z += Σ_j Out[j]·relu(h_j), h_j = DeepBias[j] +
	// EmbScale·Σ Emb[f][j]/norm + Σ_k DeepDense[k][j]·dense[k], over the
	// window's word unigram and bigram hashes f.
	DeepBits  uint8
	Emb       []int8 // (1<<DeepBits) rows of Hidden
	EmbScale  float32
	DeepDense [nDense][Hidden]float32
	DeepBias  [Hidden]float32
	Out       [Hidden]float32
	emb4      []uint64 // Emb+128 packed four 16-bit lanes to a word (see blocks)

	// Platt calibration: P(attack) = σ(CalA·z + CalB).
	CalA, CalB float32

	Meta string // free-form training summary (JSON)
}

// Result is the score of a text: the calibrated probability of an attack
// in its most suspicious window, where that window is, and how much it
// looks like a jailbreak rather than an injection.
type Result struct {
	Score      float64 // P(attack) in [0, 1]
	Jailbreak  float64 // P(jailbreak | attack) in [0, 1]
	Logit      float64 // uncalibrated best-window score
	Start, End int     // byte range of the best window in the text
}

var pool = sync.Pool{New: func() any { return new(extraction) }}

// windows calls fn for each window [a, b) of n tokens, and for the
// whole text when it is longer than one window.
func windows(n int, fn func(a, b int)) {
	if n <= Window {
		fn(0, n)
		return
	}
	for a := 0; ; a += stride {
		b := min(a+Window, n)
		fn(a, b)
		if b == n {
			break
		}
	}
	// The whole text is one more window (features normalized by their
	// count like every window): a scenario set up in one place and the
	// request made in another only meet here.
	fn(0, n)
}

// dense fills d with the cue features of window [a, b) and returns the
// set of its non-zero entries (bit k for d[k]). Windows start on a block
// boundary and end on one or at the end of the text.
func (x *extraction) dense(a, b int, d *[nDense]float32) uint64 {
	var cats, conj uint32
	var sym, odd int32
	for _, s := range x.blk[a/stride : (b+stride-1)/stride] {
		cats |= s.cats
		conj |= s.conj
		sym += s.sym
		odd += s.odd
	}
	nz := uint64(cats) | uint64(conj)<<numCats
	for c := 0; c < numCats; c++ {
		d[c] = float32(cats >> c & 1)
	}
	n := 0
	for k := range conjunctions {
		v := conj >> k & 1
		d[numCats+k] = float32(v)
		n += int(v)
	}
	o := numCats + len(conjunctions)
	d[o] = float32(min(n, 3)) / 3
	if n > 0 {
		nz |= 1 << o
	}
	o++
	for k, p := range pairs {
		on := cats&p[0] != 0 && cats&p[1] != 0
		d[o+k] = b2f(on)
		if on {
			nz |= 1 << (o + k)
		}
	}
	o += len(pairs)
	// The same pairs over the whole text: a scenario set up in one
	// window and the request made in another.
	for k, p := range pairs {
		on := x.docCats&p[0] != 0 && x.docCats&p[1] != 0
		d[o+k] = b2f(on)
		if on {
			nz |= 1 << (o + k)
		}
	}
	o += len(pairs)
	nt := float32(max(b-a, 1))
	d[o] = min(float32(sym)/nt, 2) / 2
	d[o+1] = min(float32(odd)*2/nt, 1)
	if sym > 0 {
		nz |= 1 << o
	}
	if odd > 0 {
		nz |= 1 << (o + 1)
	}
	return nz
}

var _ = [1]struct{}{}[max(0, nDense-64)] // the non-zero set of dense features fits a uint64

// pairs are categories that, seen anywhere in the same window, frame a
// request: a fictional or role-play wrapper around harmful matter, or
// refusal suppression next to it.
var pairs = [...][2]uint32{
	{1<<cFrame | 1<<cRole, 1 << cHarm},
	{1 << cHarm, 1 << cEvade},
	{1 << cComply, 1 << cHarm},
	{1 << cComply, 1<<cFrame | 1<<cRole | 1<<cPersona},
	{1 << cFrame, 1<<cYou | 1<<cRole},
}

// featRange returns the features of tokens [a, b).
func (x *extraction) featRange(a, b int) []uint32 {
	end := len(x.feats)
	if b < len(x.toks) {
		end = int(x.toks[b].feat)
	}
	if a >= len(x.toks) {
		return nil
	}
	return x.feats[x.toks[a].feat:end]
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// Score rates text. It is safe for concurrent use.
func (m *Model) Score(text string) Result {
	x := pool.Get().(*extraction)
	defer pool.Put(x)
	x.extract(text)
	if len(x.toks) == 0 {
		var s [Hidden]int32
		var d [nDense]float32
		z := float64(m.Bias) + m.deep(&s, &s, 0, &d, 0)
		return Result{Score: sigmoid(float64(m.CalA)*z + float64(m.CalB)), Logit: z}
	}
	mask := uint32(len(m.Hash) - 1)
	// Prefix sums of quantized weights over features, so each window
	// costs O(1) however much windows overlap.
	x.psum = slices.Grow(x.psum[:0], len(x.feats)+1)[:len(x.feats)+1]
	var acc int32
	x.psum[0] = 0
	for i, f := range x.feats {
		acc += int32(m.Hash[f&mask])
		x.psum[i+1] = acc
	}
	hasDeep := len(m.emb4) > 0
	if hasDeep {
		x.blocks(m.emb4)
	}
	best := math.Inf(-1)
	ba, bb := 0, 0
	var d [nDense]float32
	windows(len(x.toks), func(a, b int) {
		lo := int(x.toks[a].feat)
		hi := len(x.feats)
		if b < len(x.toks) {
			hi = int(x.toks[b].feat)
		}
		z := float64(m.Bias)
		if n := hi - lo; n > 0 {
			z += float64(m.HashScale) * float64(x.psum[hi]-x.psum[lo]) / norm(n, minFeats)
		}
		nz := x.dense(a, b, &d)
		for k := nz; k != 0; k &= k - 1 {
			i := bits.TrailingZeros64(k)
			z += float64(m.Dense[i] * d[i])
		}
		if hasDeep {
			bl, bh := a/stride, (b+stride-1)/stride
			z += m.deep(&x.bsum[bl], &x.bsum[bh], int(x.bcnt[bh]-x.bcnt[bl]), &d, nz)
		}
		if z > best {
			best, ba, bb = z, a, b
		}
	})
	res := Result{
		Logit: best,
		Score: sigmoid(float64(m.CalA)*best + float64(m.CalB)),
		Start: int(x.toks[ba].start),
		End:   int(x.toks[bb-1].end),
	}
	res.Jailbreak = m.typeScore(x, ba, bb)
	return res
}

// deep is the non-linear part of a window's logit, given the prefix sums
// lo and hi of the embedding rows around its n word features and its
// dense features (nz: the non-zero ones).
func (m *Model) deep(lo, hi *[Hidden]int32, n int, d *[nDense]float32, nz uint64) float64 {
	h := m.DeepBias
	if n > 0 {
		c := m.EmbScale / float32(norm(n, minWordFeats))
		for j := range h {
			h[j] += c * float32(hi[j]-lo[j])
		}
	}
	for k := nz; k != 0; k &= k - 1 {
		i := bits.TrailingZeros64(k)
		v, row := d[i], &m.DeepDense[i]
		for j := range h {
			h[j] += v * row[j]
		}
	}
	var z float32
	for j, v := range h {
		if v > 0 {
			z += m.Out[j] * v
		}
	}
	return float64(z)
}

// lanes is the number of uint64 words an embedding row is packed into;
// blocks is unrolled for eight.
const lanes = Hidden / 4

var _ = [1]struct{}{}[lanes-8] // Hidden must be 32: blocks is unrolled for eight lanes

// embFeats is how many of a token's word features (unigram, bigram) feed
// the embedding.
const embFeats = 2

// pack builds the packed embedding: each int8 weight plus 128 (0…255) in
// a 16-bit lane, four lanes to a uint64, so one addition sums four hidden
// units. blocks adds 2·stride rows per block (a token's unigram and its
// bigram or the zero row), so a lane sums at most 2·stride·255 < 65536
// and never carries into the next one.
func (m *Model) pack() {
	m.emb4 = nil
	if len(m.Emb) == 0 {
		return
	}
	m.emb4 = make([]uint64, len(m.Emb)/4+lanes)
	for i, v := range m.Emb {
		m.emb4[i/4] |= uint64(int(v)+128) << (16 * (i % 4))
	}
	// One more row of zero weights (128 in every lane): blocks adds it in
	// place of a missing bigram, so its loop has no data-dependent branch.
	for i := len(m.Emb) / 4; i < len(m.emb4); i++ {
		m.emb4[i] = 128 * 0x0001000100010001
	}
}

// blocks sums the embedding rows of the word features of each block of
// stride tokens, as prefix sums over blocks (windows start on block
// boundaries and end on one or at the end of the text).
func (x *extraction) blocks(emb4 []uint64) {
	rows := len(emb4)/lanes - 1 // the last row is the zero row (see pack)
	mask := uint32(rows - 1)
	var acc [Hidden]int32
	var cnt int32
	x.bsum = append(x.bsum[:0], acc)
	x.bcnt = append(x.bcnt[:0], 0)
	for a := 0; a < len(x.toks); a += stride {
		// Eight accumulators in registers (lanes is 8: Hidden is 32).
		var w0, w1, w2, w3, w4, w5, w6, w7 uint64
		var c int32
		for t := a; t < min(a+stride, len(x.toks)); t++ {
			tk := &x.toks[t]
			fs := x.feats[tk.feat:]
			// The unigram row, and the bigram row or the zero row: a
			// token has a bigram or not at random, which a branch
			// predictor cannot follow.
			i0 := int(fs[0]&mask) * lanes
			i1 := rows * lanes
			if tk.nw >= embFeats {
				i1 = int(fs[1]&mask) * lanes
			}
			r0 := (*[8]uint64)(emb4[i0:])
			r1 := (*[8]uint64)(emb4[i1:])
			w0 += r0[0] + r1[0]
			w1 += r0[1] + r1[1]
			w2 += r0[2] + r1[2]
			w3 += r0[3] + r1[3]
			w4 += r0[4] + r1[4]
			w5 += r0[5] + r1[5]
			w6 += r0[6] + r1[6]
			w7 += r0[7] + r1[7]
			c += int32(min(int(tk.nw), embFeats))
		}
		// Two rows per token were added, each lane offset by 128.
		off := 128 * embFeats * int32(min(a+stride, len(x.toks))-a)
		w := [lanes]uint64{w0, w1, w2, w3, w4, w5, w6, w7}
		for q, v := range w {
			for l := range 4 {
				acc[4*q+l] += int32(v>>(16*l)&0xFFFF) - off
			}
		}
		cnt += c
		x.bsum = append(x.bsum, acc)
		x.bcnt = append(x.bcnt, cnt)
	}
}

func (m *Model) typeScore(x *extraction, a, b int) float64 {
	if len(m.Type) == 0 {
		return 0
	}
	tmask := uint32(len(m.Type) - 1)
	fs := x.featRange(a, b)
	var s int32
	for _, f := range fs {
		s += int32(m.Type[f&tmask])
	}
	z := float64(m.TypeBias)
	if len(fs) > 0 {
		z += float64(m.TypeScale) * float64(s) / norm(len(fs), minFeats)
	}
	var d [nDense]float32
	x.dense(a, b, &d)
	for k, v := range d {
		z += float64(m.TypeDense[k] * v)
	}
	return sigmoid(z)
}

// Encode writes the model in its compact binary form.
func (m *Model) Encode(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString(magic)
	le := binary.LittleEndian
	b.WriteByte(m.HashBits)
	b.WriteByte(m.TypeBits)
	binary.Write(&b, le, uint16(nDense))
	for _, v := range []float32{m.HashScale, m.Bias, m.CalA, m.CalB, m.TypeScale, m.TypeBias} {
		binary.Write(&b, le, v)
	}
	binary.Write(&b, le, m.Dense)
	binary.Write(&b, le, m.TypeDense)
	binary.Write(&b, le, m.Hash)
	binary.Write(&b, le, m.Type)
	b.WriteByte(m.DeepBits)
	binary.Write(&b, le, uint16(Hidden))
	binary.Write(&b, le, m.EmbScale)
	binary.Write(&b, le, m.DeepDense)
	binary.Write(&b, le, m.DeepBias)
	binary.Write(&b, le, m.Out)
	binary.Write(&b, le, m.Emb)
	binary.Write(&b, le, uint32(len(m.Meta)))
	b.WriteString(m.Meta)
	_, err := w.Write(b.Bytes())
	return err
}

// Decode reads a model written by Encode.
func Decode(data []byte) (*Model, error) {
	if len(data) < len(magic)+4 || string(data[:len(magic)]) != magic {
		return nil, errors.New("detector: not a model file (bad magic)")
	}
	r := bytes.NewReader(data[len(magic):])
	le := binary.LittleEndian
	m := &Model{}
	var nd uint16
	hb, _ := r.ReadByte()
	tb, _ := r.ReadByte()
	if err := binary.Read(r, le, &nd); err != nil {
		return nil, err
	}
	if int(nd) != nDense || hb > 24 || tb > 24 {
		return nil, fmt.Errorf("detector: model layout (dense %d, bits %d/%d) does not match this build (dense %d)", nd, hb, tb, nDense)
	}
	m.HashBits, m.TypeBits = hb, tb
	for _, p := range []*float32{&m.HashScale, &m.Bias, &m.CalA, &m.CalB, &m.TypeScale, &m.TypeBias} {
		if err := binary.Read(r, le, p); err != nil {
			return nil, err
		}
	}
	m.Hash = make([]int8, 1<<hb)
	if tb > 0 {
		m.Type = make([]int8, 1<<tb)
	}
	for _, p := range []any{&m.Dense, &m.TypeDense, m.Hash, m.Type} {
		if err := binary.Read(r, le, p); err != nil {
			return nil, fmt.Errorf("detector: truncated model: %w", err)
		}
	}
	db, _ := r.ReadByte()
	var nh uint16
	if err := binary.Read(r, le, &nh); err != nil {
		return nil, fmt.Errorf("detector: truncated model: %w", err)
	}
	if int(nh) != Hidden || db > 20 {
		return nil, fmt.Errorf("detector: model layout (hidden %d, bits %d) does not match this build (hidden %d)", nh, db, Hidden)
	}
	m.DeepBits = db
	if db > 0 {
		m.Emb = make([]int8, (1<<db)*Hidden)
	}
	for _, p := range []any{&m.EmbScale, &m.DeepDense, &m.DeepBias, &m.Out, m.Emb} {
		if err := binary.Read(r, le, p); err != nil {
			return nil, fmt.Errorf("detector: truncated model: %w", err)
		}
	}
	m.pack()
	var n uint32
	if err := binary.Read(r, le, &n); err != nil || int(n) > r.Len() {
		return nil, errors.New("detector: truncated model metadata")
	}
	meta := make([]byte, n)
	io.ReadFull(r, meta)
	m.Meta = string(meta)
	return m, nil
}
