package detector

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
)

// Options configure Train.
type Options struct {
	Data     string    // directory holding injection/{train,dev,harmful_requests}.jsonl
	Seed     uint64    // makes training deterministic
	HashBits uint8     // log2 of the hashed-feature table (default 18)
	Epochs   int       // SGD epochs per round (default 10)
	TargetFP float64   // dev FPR the 0.5 threshold is placed at (default 0.019)
	DeepBits uint8     // log2 of the word-embedding table of the hidden layer (default 15)
	Linear   bool      // no hidden layer (the linear model alone)
	DeepLR   float64   // learning rate of the hidden layer (default 0.2)
	Lambdas  []float64 // L2 strengths tried; dev picks one (default 3e-5, 1e-4)
	Restarts int       // random initializations tried per strength; dev picks one (default 3)
	Log      io.Writer
}

// window is one training sample.
type window struct {
	feats  []uint32
	wfeats []uint32 // word unigram and bigram features (the embedding's input)
	dense  [nDense]float32
	doc    int32
}

type doc struct {
	label, jb bool
	wins      []int32 // indexes into the window list
	weight    float64
}

// weights are the float parameters being trained. deep is false for the
// type head, which is linear.
type weights struct {
	hash  []float32
	dense [nDense]float32
	bias  float32

	deep bool
	emb  []float32 // rows of Hidden
	dd   [nDense][Hidden]float32
	db   [Hidden]float32
	out  [Hidden]float32
}

func newWeights(bits, deepBits uint8, r *rand.Rand) *weights {
	w := &weights{hash: make([]float32, 1<<bits)}
	if deepBits == 0 {
		return w
	}
	w.deep = true
	w.emb = make([]float32, (1<<deepBits)*Hidden)
	for i := range w.emb {
		w.emb[i] = float32(r.NormFloat64() * 0.1)
	}
	for j := range w.out {
		w.out[j] = float32(r.NormFloat64() * 0.3)
		w.db[j] = 0.1
	}
	return w
}

// hidden computes the pre-activations of the hidden units.
func (w *weights) hidden(s *window, h *[Hidden]float32) {
	*h = w.db
	if n := len(s.wfeats); n > 0 {
		mask := uint32(len(w.emb)/Hidden - 1)
		c := float32(1 / norm(n, minWordFeats))
		for _, f := range s.wfeats {
			row := w.emb[int(f&mask)*Hidden:][:Hidden]
			for j := range h {
				h[j] += c * row[j]
			}
		}
	}
	for k, v := range s.dense {
		if v == 0 {
			continue
		}
		for j := range h {
			h[j] += v * w.dd[k][j]
		}
	}
}

func (w *weights) logit(s *window) float64 {
	var h [Hidden]float32
	return w.logitH(s, &h)
}

func (w *weights) logitH(s *window, h *[Hidden]float32) float64 {
	mask := uint32(len(w.hash) - 1)
	var z float64
	for _, f := range s.feats {
		z += float64(w.hash[f&mask])
	}
	if len(s.feats) > 0 {
		z /= norm(len(s.feats), minFeats)
	}
	z += float64(w.bias)
	for k, v := range s.dense {
		z += float64(w.dense[k] * v)
	}
	if w.deep {
		w.hidden(s, h)
		var y float32
		for j, v := range h {
			if v > 0 {
				y += w.out[j] * v
			}
		}
		z += float64(y)
	}
	return z
}

type sample struct {
	win int32
	y   float32
	w   float32
}

// sgd fits the model by logistic loss on samples (L2: lh on hashed and
// embedding weights, ld on dense).
func sgd(w *weights, wins []window, ss []sample, epochs int, lh, ld, deepLR float64, r *rand.Rand) {
	mask := uint32(len(w.hash) - 1)
	order := make([]int, len(ss))
	for i := range order {
		order[i] = i
	}
	var h [Hidden]float32
	for ep := range epochs {
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		lr := 6.0 / (1 + float64(ep))
		dlr := deepLR / (1 + 0.5*float64(ep))
		for _, i := range order {
			s := &ss[i]
			win := &wins[s.win]
			g := (sigmoid(w.logitH(win, &h)) - float64(s.y)) * float64(s.w)
			if w.deep {
				// Backpropagate through the active hidden units.
				var gh [Hidden]float32
				active := false
				for j, v := range h {
					if v > 0 {
						gh[j] = float32(g) * w.out[j]
						w.out[j] -= float32(dlr * (g*float64(v) + ld*float64(w.out[j])))
						active = true
					}
				}
				if active {
					if n := len(win.wfeats); n > 0 {
						em := uint32(len(w.emb)/Hidden - 1)
						c := float32(dlr / norm(n, minWordFeats))
						for _, f := range win.wfeats {
							row := w.emb[int(f&em)*Hidden:][:Hidden]
							for j := range row {
								row[j] -= c*gh[j] + float32(dlr*lh)*row[j]
							}
						}
					}
					for k, v := range win.dense {
						if v == 0 {
							continue
						}
						for j := range gh {
							w.dd[k][j] -= float32(dlr) * (v*gh[j] + float32(ld)*w.dd[k][j])
						}
					}
					for j := range gh {
						w.db[j] -= float32(dlr) * gh[j]
					}
				}
			}
			if len(win.feats) > 0 {
				v := 1 / norm(len(win.feats), minFeats)
				for _, f := range win.feats {
					k := f & mask
					w.hash[k] -= float32(lr * (g*v + lh*float64(w.hash[k])))
				}
			}
			for k, v := range win.dense {
				if v != 0 {
					w.dense[k] -= float32(0.2 * lr * (g*float64(v) + ld*float64(w.dense[k])))
				}
			}
			w.bias -= float32(0.2 * lr * g)
		}
	}
}

func extractDocs(exs []Example) ([]window, []doc) {
	var wins []window
	docs := make([]doc, len(exs))
	x := new(extraction)
	for i, e := range exs {
		x.extract(e.Text)
		d := &docs[i]
		d.label, d.jb = e.Label == 1, e.Kind == "jailbreak"
		if len(x.toks) == 0 {
			wins = append(wins, window{doc: int32(i)})
			d.wins = append(d.wins, int32(len(wins)-1))
			continue
		}
		windows(len(x.toks), func(a, b int) {
			w := window{feats: slices.Clone(x.featRange(a, b)), doc: int32(i)}
			for t := a; t < b; t++ {
				tk := &x.toks[t]
				w.wfeats = append(w.wfeats, x.feats[tk.feat:tk.feat+int32(min(int(tk.nw), embFeats))]...)
			}
			x.dense(a, b, &w.dense)
			wins = append(wins, w)
			d.wins = append(d.wins, int32(len(wins)-1))
		})
	}
	return wins, docs
}

// Report is what Train measured.
type Report struct {
	Seed          uint64  `json:"seed"`
	TrainDocs     int     `json:"train_docs"`
	AugmentedDocs int     `json:"augmented_docs"`
	Lambda        float64 `json:"lambda"`
	Init          int     `json:"init"`
	DevAUC        float64 `json:"dev_auc"`
	DevRecall     float64 `json:"dev_recall"`
	DevFPR        float64 `json:"dev_fpr"`
	DevPrecision  float64 `json:"dev_precision"`
	HeldHarmfulFP float64 `json:"heldout_harmful_fpr"`
}

// Train builds a model from opt.Data. The same options give the same
// model byte for byte.
func Train(opt Options) (*Model, Report, error) {
	if opt.HashBits == 0 {
		opt.HashBits = 18
	}
	if opt.Epochs == 0 {
		opt.Epochs = 10
	}
	if opt.TargetFP == 0 {
		opt.TargetFP = 0.019
	}
	if opt.DeepBits == 0 {
		opt.DeepBits = 15
	}
	if opt.DeepLR == 0 {
		opt.DeepLR = 0.2
	}
	if opt.Restarts == 0 {
		opt.Restarts = 3
	}
	if len(opt.Lambdas) == 0 {
		opt.Lambdas = []float64{3e-5, 1e-4}
	}
	if opt.Linear {
		opt.DeepBits = 0
	}
	logf := func(f string, a ...any) {
		if opt.Log != nil {
			fmt.Fprintf(opt.Log, f+"\n", a...)
		}
	}
	dir := filepath.Join(opt.Data, "injection")
	train, err := LoadJSONL(filepath.Join(dir, "train.jsonl"))
	if err != nil {
		return nil, Report{}, err
	}
	dev, err := LoadJSONL(filepath.Join(dir, "dev.jsonl"))
	if err != nil {
		return nil, Report{}, err
	}
	harmful, err := LoadJSONL(filepath.Join(dir, "harmful_requests.jsonl"))
	if err != nil {
		return nil, Report{}, err
	}
	// Harmful requests are benign for this detector; a fifth is held out.
	var heldHarm []Example
	for i, h := range harmful {
		h.Label, h.Kind = 0, "harmful_request"
		if i%5 == 0 {
			heldHarm = append(heldHarm, h)
		} else {
			train = append(train, h)
		}
	}
	aug := Augment(train, opt.Seed)
	all := append(slices.Clone(train), aug...)
	logf("train: %d docs (+%d generated), dev: %d", len(train), len(aug), len(dev))

	wins, docs := extractDocs(all)
	// Class balance: each class carries the same total weight.
	var npos, nneg float64
	for _, d := range docs {
		if d.label {
			npos++
		} else {
			nneg++
		}
	}
	for i := range docs {
		if docs[i].label {
			docs[i].weight = (npos + nneg) / (2 * npos)
		} else {
			docs[i].weight = (npos + nneg) / (2 * nneg)
		}
	}

	var best *Model
	var bestRep Report
	bestKey := -1.0
	for run := range len(opt.Lambdas) * opt.Restarts {
		lambda, restart := opt.Lambdas[run/opt.Restarts], run%opt.Restarts
		r := rand.New(rand.NewPCG(opt.Seed, 1+uint64(restart)))
		w := newWeights(opt.HashBits, opt.DeepBits, r)
		// Round 1: every window carries its document's label.
		var ss []sample
		for _, d := range docs {
			for _, wi := range d.wins {
				ss = append(ss, sample{wi, b2f(d.label), float32(d.weight / float64(len(d.wins)))})
			}
		}
		sgd(w, wins, ss, opt.Epochs, lambda, 1e-4, opt.DeepLR, r)
		// Round 2 (multiple-instance): an attack document is positive
		// through its most suspicious window; every window of a benign
		// document is benign, and its most suspicious window carries the
		// document's full weight (the text's score is its best window, so
		// that is the window a long benign text is judged by).
		ss = ss[:0]
		for _, d := range docs {
			if d.label {
				bi, bz := d.wins[0], math.Inf(-1)
				for _, wi := range d.wins {
					if z := w.logit(&wins[wi]); z > bz {
						bi, bz = wi, z
					}
				}
				ss = append(ss, sample{bi, 1, float32(d.weight)})
				continue
			}
			for _, wi := range d.wins {
				ss = append(ss, sample{wi, 0, float32(d.weight / math.Sqrt(float64(len(d.wins))))})
			}
			if len(d.wins) > 1 {
				bi, bz := d.wins[0], math.Inf(-1)
				for _, wi := range d.wins {
					if z := w.logit(&wins[wi]); z > bz {
						bi, bz = wi, z
					}
				}
				ss = append(ss, sample{bi, 0, float32(d.weight * (1 - 1/math.Sqrt(float64(len(d.wins)))))})
			}
		}
		w = newWeights(opt.HashBits, opt.DeepBits, r)
		sgd(w, wins, ss, opt.Epochs, lambda, 1e-4, opt.DeepLR, r)

		m := quantize(w, opt.HashBits)
		quantizeDeep(m, w, opt.DeepBits)
		trainType(m, wins, docs, opt.Epochs, r)
		calibrate(m, dev, opt.TargetFP)
		rep := Evaluate(m, dev, 0.5)
		hr := Evaluate(m, heldHarm, 0.5)
		r1, r2 := recallAt(m, dev, 0.01), recallAt(m, dev, 0.02)
		logf("lambda %g, init %d: dev AUC %.4f recall %.4f FPR %.4f (recall at FPR 1%%/2%%: %.4f/%.4f); held-out harmful FPR %.4f",
			lambda, restart, rep.AUC, rep.Recall, rep.FPR, r1, r2, hr.FPR)
		// The key rewards recall along the low-FPR part of the curve (1 %
		// and 2 %), not at one point: a run that is good at exactly the
		// calibrated threshold but poor just below it is a noisier model.
		key := rep.AUC + (r1+r2+rep.Recall)/3
		if key > bestKey {
			bestKey = key
			best = m
			bestRep = Report{Seed: opt.Seed, TrainDocs: len(train), AugmentedDocs: len(aug), Lambda: lambda, Init: restart,
				DevAUC: rep.AUC, DevRecall: rep.Recall, DevFPR: rep.FPR, DevPrecision: rep.Precision, HeldHarmfulFP: hr.FPR}
		}
	}
	meta, _ := json.Marshal(bestRep)
	best.Meta = string(meta)
	return best, bestRep, nil
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// quantizeDeep stores the hidden layer of w in m (the embedding as int8).
func quantizeDeep(m *Model, w *weights, bits uint8) {
	if !w.deep {
		return
	}
	var mx float32
	for _, v := range w.emb {
		mx = max(mx, float32(math.Abs(float64(v))))
	}
	if mx == 0 {
		mx = 1
	}
	m.DeepBits, m.EmbScale = bits, mx/127
	m.Emb = make([]int8, len(w.emb))
	for i, v := range w.emb {
		m.Emb[i] = int8(math.Round(float64(v / m.EmbScale)))
	}
	m.DeepDense, m.DeepBias, m.Out = w.dd, w.db, w.out
	m.pack()
}

// dequantize returns the weights m scores with.
func dequantize(m *Model) *weights {
	x := &weights{hash: make([]float32, len(m.Hash)), dense: m.Dense, bias: m.Bias}
	for i, v := range m.Hash {
		x.hash[i] = float32(v) * m.HashScale
	}
	if len(m.Emb) > 0 {
		x.deep = true
		x.emb = make([]float32, len(m.Emb))
		for i, v := range m.Emb {
			x.emb[i] = float32(v) * m.EmbScale
		}
		x.dd, x.db, x.out = m.DeepDense, m.DeepBias, m.Out
	}
	return x
}

func quantize(w *weights, bits uint8) *Model {
	m := &Model{HashBits: bits, Hash: make([]int8, len(w.hash)), Dense: w.dense, Bias: w.bias, CalA: 1}
	var mx float32
	for _, v := range w.hash {
		mx = max(mx, float32(math.Abs(float64(v))))
	}
	if mx == 0 {
		mx = 1
	}
	m.HashScale = mx / 127
	for i, v := range w.hash {
		m.Hash[i] = int8(math.Round(float64(v / m.HashScale)))
	}
	return m
}

// trainType fits the jailbreak-vs-injection head on the attack documents'
// most suspicious windows.
func trainType(m *Model, wins []window, docs []doc, epochs int, r *rand.Rand) {
	const bits = 16
	w := &weights{hash: make([]float32, 1<<bits)}
	var ss []sample
	x := dequantize(m)
	var njb, ninj float64
	for _, d := range docs {
		if d.label && d.jb {
			njb++
		} else if d.label {
			ninj++
		}
	}
	for _, d := range docs {
		if !d.label {
			continue
		}
		bi, bz := d.wins[0], math.Inf(-1)
		for _, wi := range d.wins {
			if z := x.logit(&wins[wi]); z > bz {
				bi, bz = wi, z
			}
		}
		wt := (njb + ninj) / (2 * ninj)
		if d.jb {
			wt = (njb + ninj) / (2 * njb)
		}
		ss = append(ss, sample{bi, b2f(d.jb), float32(wt)})
	}
	sgd(w, wins, ss, epochs, 1e-5, 1e-4, 0, r)
	q := quantize(w, bits)
	m.TypeBits, m.Type, m.TypeScale, m.TypeDense, m.TypeBias = bits, q.Hash, q.HashScale, q.Dense, q.Bias
}

// calibrate fits Platt scaling on dev, then moves the intercept so that
// a score of 0.5 sits where the dev false-positive rate is targetFP.
func calibrate(m *Model, dev []Example, targetFP float64) {
	zs := make([]float64, len(dev))
	for i, e := range dev {
		zs[i] = m.Score(e.Text).Logit
	}
	a, b := 1.0, 0.0
	for range 300 {
		var ga, gb, haa, hab, hbb float64
		for i, e := range dev {
			p := sigmoid(a*zs[i] + b)
			g := p - float64(e.Label)
			ga += g * zs[i]
			gb += g
			h := p * (1 - p)
			haa += h * zs[i] * zs[i]
			hab += h * zs[i]
			hbb += h
		}
		haa += 1e-6
		hbb += 1e-6
		det := haa*hbb - hab*hab
		if det == 0 {
			break
		}
		a -= (hbb*ga - hab*gb) / det
		b -= (haa*gb - hab*ga) / det
	}
	var neg []float64
	for i, e := range dev {
		if e.Label == 0 {
			neg = append(neg, zs[i])
		}
	}
	slices.Sort(neg)
	if len(neg) > 0 && a > 0 {
		k := int(math.Floor(float64(len(neg)) * (1 - targetFP)))
		k = min(max(k, 0), len(neg)-1)
		// Just above the k-th benign logit.
		zt := neg[k] + 1e-6
		b = -a * zt
	}
	m.CalA, m.CalB = float32(a), float32(b)
}

// recallAt is the recall when the threshold lets at most a fraction fpr
// of the benign examples through.
func recallAt(m *Model, exs []Example, fpr float64) float64 {
	var neg, pos []float64
	for _, e := range exs {
		z := m.Score(e.Text).Logit
		if e.Label == 1 {
			pos = append(pos, z)
		} else {
			neg = append(neg, z)
		}
	}
	if len(neg) == 0 || len(pos) == 0 {
		return math.NaN()
	}
	slices.Sort(neg)
	th := neg[min(len(neg)-1, int(math.Floor(float64(len(neg))*(1-fpr))))]
	n := 0
	for _, z := range pos {
		if z > th {
			n++
		}
	}
	return float64(n) / float64(len(pos))
}

// Metrics are binary-classification results at one threshold.
type Metrics struct {
	N, Pos, Neg      int
	TP, FP, TN, FN   int
	Precision        float64
	Recall, FPR, AUC float64
	Threshold        float64
}

// Evaluate scores exs with the model alone (no policy) at threshold.
func Evaluate(m *Model, exs []Example, threshold float64) Metrics {
	scores := make([]float64, len(exs))
	labels := make([]bool, len(exs))
	for i, e := range exs {
		scores[i] = m.Score(e.Text).Score
		labels[i] = e.Label == 1
	}
	return Measure(scores, labels, threshold)
}

// Measure computes metrics from scores (positive when ≥ threshold).
func Measure(scores []float64, labels []bool, threshold float64) Metrics {
	mt := Metrics{N: len(scores), Threshold: threshold}
	for i, s := range scores {
		pred := s >= threshold
		switch {
		case labels[i] && pred:
			mt.TP++
		case labels[i]:
			mt.FN++
		case pred:
			mt.FP++
		default:
			mt.TN++
		}
	}
	mt.Pos, mt.Neg = mt.TP+mt.FN, mt.FP+mt.TN
	if mt.TP+mt.FP > 0 {
		mt.Precision = float64(mt.TP) / float64(mt.TP+mt.FP)
	}
	if mt.Pos > 0 {
		mt.Recall = float64(mt.TP) / float64(mt.Pos)
	}
	if mt.Neg > 0 {
		mt.FPR = float64(mt.FP) / float64(mt.Neg)
	}
	mt.AUC = AUC(scores, labels)
	return mt
}

// AUC is the area under the ROC curve (ties count half).
func AUC(scores []float64, labels []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case scores[a] < scores[b]:
			return -1
		case scores[a] > scores[b]:
			return 1
		}
		return 0
	})
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // 1-based average rank
		for k := i; k < j; k++ {
			if labels[idx[k]] {
				rankSum += avg
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}
