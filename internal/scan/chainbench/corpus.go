// Package chainbench measures the whole default input chain (the built-in
// balanced policy with every default scanner) on generated mixed prompts.
// It holds only benchmarks and the corpus generator; nothing imports it.
package chainbench

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Kinds of generated prompt, in the order Corpus cycles through them.
var Kinds = []string{"prose", "code", "json", "multilingual", "pii", "secrets", "base64", "chat"}

var proseWords = strings.Fields(`the a of and to in is that for it as was with be by on not he this are or his
from at which but have an they you were her she there been one all we their has would when if so what can
no said who more about up out them into some could time only other new after also did like may first made
people many its over than most well see know how way make just any these then two year back use good work
model system answer question please summarize report meeting budget quarter revenue customer product team
plan review draft email letter schedule project deadline release feature test data analysis chart result`)

var multilingual = []string{
	"Bonjour, pourriez-vous résumer ce rapport trimestriel pour l'équipe de direction avant vendredi ?",
	"Guten Tag, bitte fassen Sie die wichtigsten Punkte der Besprechung für das Team zusammen.",
	"Hola, ¿puedes traducir este párrafo al inglés y corregir la gramática, por favor?",
	"Ciao, potresti scrivere una breve email per confermare la riunione di domani mattina?",
	"Olá, você pode explicar a diferença entre aprendizado supervisionado e não supervisionado?",
	"Добрый день, помогите, пожалуйста, составить план проекта на следующий квартал.",
	"请帮我总结一下这篇文章的主要观点，并列出三个关键结论。",
	"この文章を簡潔に要約して、重要なポイントを箇条書きにしてください。",
	"이 보고서의 핵심 내용을 세 문장으로 요약해 주세요.",
	"مرحبا، هل يمكنك مساعدتي في كتابة رسالة إلى العميل بخصوص الطلب؟",
	"Merhaba, bu metni daha resmi bir dille yeniden yazabilir misin?",
	"Dzień dobry, proszę o przetłumaczenie tego akapitu na język angielski.",
	"Goedemiddag, kun je deze tekst controleren op spelfouten en stijl?",
}

var codeSnippets = []string{
	"func (s *Server) handle(w http.ResponseWriter, r *http.Request) {\n\tctx := r.Context()\n\tif err := s.store.Get(ctx, r.PathValue(\"id\")); err != nil {\n\t\thttp.Error(w, err.Error(), http.StatusNotFound)\n\t\treturn\n\t}\n}\n",
	"def parse(path):\n    with open(path) as f:\n        for i, line in enumerate(f):\n            key, _, value = line.partition('=')\n            config[key.strip()] = value.strip()\n    return config\n",
	"const token = await getToken(); // fetch the access token from the session\nconst res = await fetch(`/api/v2/items?page=${page}`, { headers: { Authorization: `Bearer ${token}` } });\n",
	"SELECT id, name, created_at FROM orders WHERE status = 'open' AND total > 100 ORDER BY created_at DESC LIMIT 50;\n",
	"for (int i = 0; i < n; ++i) { sum += values[i] * weights[i]; } // version 2.4.1, build 20240315\n",
}

var piiLines = []string{
	"Please update the record for John Smith, email john.smith@example.com, phone (212) 555-0187.",
	"Ship to: 1600 Pennsylvania Avenue NW, Washington, DC 20500. Card 4111 1111 1111 1111 exp 12/27.",
	"My IBAN is DE89 3704 0044 0532 0130 00 and my SSN is 123-45-6789, please keep it safe.",
	"Dear Dr. Maria Gonzalez, your appointment is confirmed. Call +44 20 7946 0958 if anything changes.",
	"Server 10.0.12.7 failed over to 192.168.1.20 at 14:32; order #88123 was retried.",
}

var secretLines = []string{
	"export AWS_ACCESS_KEY_ID=AKIAZ3MSJV4WUFS6XNDQ\nexport AWS_SECRET_ACCESS_KEY=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",
	"github token ghp_4Nf8sK2mQ9vX7pL3cR6tW1yZ0bH5jD8gE2aU please rotate",
	"DATABASE_URL=postgres://admin:S3cr3tP4ssw0rd!@db.internal:5432/prod",
	"curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U' https://api.example.org/v1",
	"slack webhook xoxb-2384710293-4820193847562-Qm8ZpLkT3vR9sWx2Yb7NcJd4 in the config",
}

// Prompt returns one generated prompt of kind, about size bytes long.
func Prompt(kind string, size int, r *rand.Rand) string {
	var b strings.Builder
	b.Grow(size + 256)
	sentence := func() {
		n := 8 + r.IntN(14)
		for i := range n {
			w := proseWords[r.IntN(len(proseWords))]
			if i == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			} else {
				b.WriteByte(' ')
			}
			b.WriteString(w)
		}
		b.WriteString(". ")
	}
	for b.Len() < size {
		switch kind {
		case "prose":
			sentence()
		case "code":
			b.WriteString(codeSnippets[r.IntN(len(codeSnippets))])
		case "json":
			fmt.Fprintf(&b, `{"id":%d,"name":"item-%d","tags":["alpha","beta"],"price":%d.%02d,"active":true,"updated":"2024-03-%02dT10:00:00Z"},`,
				r.IntN(100000), r.IntN(1000), r.IntN(500), r.IntN(100), 1+r.IntN(28))
		case "multilingual":
			b.WriteString(multilingual[r.IntN(len(multilingual))])
			b.WriteByte(' ')
		case "pii":
			sentence()
			if r.IntN(3) == 0 {
				b.WriteString(piiLines[r.IntN(len(piiLines))])
				b.WriteByte(' ')
			}
		case "secrets":
			sentence()
			if r.IntN(6) == 0 {
				b.WriteString(secretLines[r.IntN(len(secretLines))])
				b.WriteByte('\n')
			}
		case "base64":
			sentence()
			if r.IntN(5) == 0 {
				var raw strings.Builder
				for raw.Len() < 120 {
					raw.WriteString(proseWords[r.IntN(len(proseWords))])
					raw.WriteByte(' ')
				}
				b.WriteString("attachment: ")
				b.WriteString(base64.StdEncoding.EncodeToString([]byte(raw.String())))
				b.WriteString("\n")
			}
		case "chat":
			b.WriteString("User: ")
			sentence()
			b.WriteString("\nAssistant: ")
			sentence()
			b.WriteString("\n")
		}
	}
	s := b.String()
	// Cut to size on a rune boundary.
	for len(s) > size && s[size]&0xC0 == 0x80 {
		size--
	}
	if len(s) > size {
		s = s[:size]
	}
	return s
}

// Corpus returns n prompts of about size bytes each, cycling through Kinds,
// deterministically.
func Corpus(size, n int) []string {
	r := rand.New(rand.NewPCG(uint64(size), 42))
	out := make([]string, n)
	for i := range out {
		out[i] = Prompt(Kinds[i%len(Kinds)], size, r)
	}
	return out
}

func newRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }
