package detector

import (
	"math/rand/v2"
	"slices"
	"strings"
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func langs(m map[string][]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// attackSnippet builds one short attack in a random language.
func attackSnippet(r *rand.Rand, trainAttacks []string) (text, kind string) {
	switch r.IntN(5) {
	case 0, 1:
		l := pick(r, langs(augOverride))
		sep := pick(r, []string{" and ", ". ", ", then ", ": ", ". Instead, "})
		p := augPayload[l]
		return pick(r, augOverride[l]) + sep + pick(r, p) + ".", "injection"
	case 2:
		l := pick(r, langs(augPayload))
		return pick(r, []string{"IMPORTANT: ", "New instructions: ", "SYSTEM: ", "Assistant, ", ""}) + capitalize(pick(r, augPayload[l])) + ".", "injection"
	case 3:
		l := pick(r, langs(augJailbreak))
		return pick(r, augJailbreak[l]), "jailbreak"
	}
	if len(trainAttacks) > 0 {
		return pick(r, trainAttacks), "injection"
	}
	return pick(r, augOverride["en"]) + ".", "injection"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// insertAt puts snippet at a sentence boundary of doc.
func insertAt(r *rand.Rand, doc, snippet string) string {
	var cuts []int
	for i := 1; i < len(doc); i++ {
		if (doc[i-1] == '.' || doc[i-1] == '\n' || doc[i-1] == '?') && doc[i] == ' ' || doc[i] == '\n' {
			cuts = append(cuts, i)
		}
	}
	if len(cuts) == 0 {
		return doc + "\n\n" + snippet
	}
	c := pick(r, cuts)
	return doc[:c] + " " + snippet + " " + doc[c:]
}

// Augment generates training cases from the training split: indirect
// injections (attacks inside benign documents, e-mails, tables, tool
// output), short multilingual attacks, and benign hard negatives (talk
// about injection, ordinary uses of "ignore"/"forget", harmless role-play,
// ordinary prompts in many languages), alone and inside documents.
func Augment(train []Example, seed uint64) []Example {
	r := rand.New(rand.NewPCG(seed, 0x5EED))
	var docs, shortAttacks, harmful, benign []string
	for _, e := range train {
		if e.Kind == "harmful_request" {
			harmful = append(harmful, e.Text)
		} else if e.Label == 0 && e.Kind == "benign" && len(e.Text) < 200 {
			benign = append(benign, e.Text)
		}
		if e.Label == 0 && len(e.Text) > 200 {
			docs = append(docs, e.Text)
		}
		if e.Label == 1 && e.Kind == "injection" && len(e.Text) < 300 {
			shortAttacks = append(shortAttacks, e.Text)
		}
	}
	var out []Example
	add := func(text string, label int, kind string) {
		out = append(out, Example{Text: text, Label: label, Kind: kind, Source: "augment"})
	}
	carrier := func() string {
		if r.IntN(2) == 0 || len(docs) == 0 {
			return pick(r, augCarriers)
		}
		d := pick(r, docs)
		if len(d) > 1500 {
			d = d[:1500]
			if k := strings.LastIndexByte(d, ' '); k > 0 {
				d = d[:k]
			}
		}
		return insertAt(r, d, "{}")
	}
	// Indirect injections.
	for range 900 {
		s, kind := attackSnippet(r, shortAttacks)
		add(strings.Replace(carrier(), "{}", s, 1), 1, kind)
	}
	// Short attacks on their own.
	for range 500 {
		s, kind := attackSnippet(r, nil)
		add(s, 1, kind)
	}
	// Hard negatives alone, inside documents, and benign prompts in every
	// language.
	for _, l := range langs(augHardNeg) {
		for _, t := range augHardNeg[l] {
			add(t, 0, "benign_hard")
			add(strings.Replace(carrier(), "{}", t, 1), 0, "benign_hard")
			add(strings.Replace(carrier(), "{}", t, 1), 0, "benign_hard")
		}
	}
	for _, l := range langs(augBenign) {
		for _, t := range augBenign[l] {
			for range 4 {
				add(t, 0, "benign")
			}
			add(strings.Replace(carrier(), "{}", t, 1), 0, "benign")
		}
	}
	wrapAugment(r, harmful, benign, add)
	personaAugment(r, add)
	// Benign carriers alone and benign documents cut short: short and
	// long texts appear on both sides.
	for _, c := range augCarriers {
		add(strings.Replace(c, "{}", "", 1), 0, "benign_document")
	}
	for range 300 {
		if len(docs) == 0 {
			break
		}
		d := pick(r, docs)
		n := 60 + r.IntN(200)
		if n < len(d) {
			d = d[:n]
			if k := strings.LastIndexByte(d, ' '); k > 0 {
				d = d[:k]
			}
		}
		add(d, 0, "benign_document")
	}
	moreAugment(seed, shortAttacks, add)
	oodAugment(seed, add)
	lengthAugment(seed, train, shortAttacks, add)
	return out
}
