package detector

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// compilationHeads open a long benign compilation of unrelated texts.
var compilationHeads = []string{
	"", "", "",
	"Weekly digest of questions from the help desk:\n\n",
	"Exported support tickets (oldest first)\n\n",
	"Notes collected during today's workshop\n\n",
	"Survey answers, free-text field:\n\n",
	"Backlog items to triage this sprint:\n\n",
	"Forum thread export\n\n",
	"Sammlung der Anfragen dieser Woche:\n\n",
	"Compilation des questions reçues cette semaine :\n\n",
	"Recopilación de consultas de los usuarios:\n\n",
	"Raccolta delle domande degli utenti:\n\n",
	"Перечень обращений за неделю:\n\n",
	"本周收到的问题汇总：\n\n",
	"今週の問い合わせ一覧：\n\n",
}

// compile joins parts in one of several layouts (paragraphs, numbered
// items, separators, ticket records, quoted list entries).
func compile(r *rand.Rand, parts []string) string {
	var b strings.Builder
	b.WriteString(pick(r, compilationHeads))
	layout := r.IntN(6)
	for i, p := range parts {
		switch layout {
		case 0:
			fmt.Fprintf(&b, "%s\n\n", p)
		case 1:
			fmt.Fprintf(&b, "%d. %s\n", i+1, p)
		case 2:
			fmt.Fprintf(&b, "%s\n---\n", p)
		case 3:
			fmt.Fprintf(&b, "Ticket #%d (%s):\n%s\n\n", 1000+r.IntN(9000), pick(r, []string{"open", "closed", "pending"}), p)
		case 4:
			fmt.Fprintf(&b, "- %s\n", strings.ReplaceAll(p, "\n", " "))
		default:
			fmt.Fprintf(&b, "[%02d:%02d] %s\n", 8+r.IntN(10), r.IntN(60), p)
		}
	}
	return b.String()
}

// lengthAugment counters the length bias of the shared data (attacks
// long, benign texts short): long benign compilations of several unrelated
// training texts, label 0 — every window across their seams is benign —
// and the same compilations with one short attack among the parts,
// label 1, so that neither length nor a mix of topics says anything about
// the label. Harmful requests are left out of the compilations (with a
// role-play text next to them they would look like a wrapped request).
func lengthAugment(seed uint64, train []Example, short []string, add func(text string, label int, kind string)) {
	r := rand.New(rand.NewPCG(seed, 0x1E46))
	var ben []string
	for _, e := range train {
		if e.Label == 0 && e.Kind != "harmful_request" && len(e.Text) < 1200 {
			ben = append(ben, e.Text)
		}
	}
	if len(ben) == 0 {
		return
	}
	parts := func() []string {
		n := 3 + r.IntN(10)
		ps := make([]string, 0, n)
		total := 0
		for len(ps) < n && total < 6000 {
			p := strings.TrimSpace(pick(r, ben))
			ps = append(ps, p)
			total += len(p)
		}
		return ps
	}
	for range 800 {
		add(compile(r, parts()), 0, "benign_document")
	}
	for range 300 {
		ps := parts()
		s, _ := attackSnippet(r, short)
		i := r.IntN(len(ps) + 1)
		ps = append(ps[:i], append([]string{s}, ps[i:]...)...)
		add(compile(r, ps), 1, "injection")
	}
}
