// Package tokens counts tokens the way OpenAI's tokenizers do, offline
// (the BPE vocabularies are compiled into the binary), and estimates them
// cheaply where an exact count is not worth its cost.
package tokens

import (
	"strings"
	"sync"

	"github.com/tiktoken-go/tokenizer"
)

// Encoding names a BPE vocabulary.
type Encoding string

const (
	Cl100k Encoding = "cl100k_base"
	O200k  Encoding = "o200k_base"
)

var (
	mu     sync.Mutex
	codecs = map[Encoding]tokenizer.Codec{}
)

func codec(enc Encoding) (tokenizer.Codec, error) {
	mu.Lock()
	defer mu.Unlock()
	if c, ok := codecs[enc]; ok {
		return c, nil
	}
	c, err := tokenizer.Get(tokenizer.Encoding(enc))
	if err != nil {
		return nil, err
	}
	// Invalid UTF-8 is counted as tiktoken counts it (replacement).
	c.SetErrorMode(tokenizer.ErrorModeReplace)
	codecs[enc] = c
	return c, nil
}

// ForModel picks the encoding a model family uses; unknown models get
// cl100k_base, which is within a few percent of most BPE tokenizers.
func ForModel(model string) Encoding {
	m := strings.ToLower(model)
	for _, p := range []string{"gpt-4o", "gpt-4.1", "gpt-5", "o1", "o3", "o4", "chatgpt-4o"} {
		if strings.HasPrefix(m, p) {
			return O200k
		}
	}
	return Cl100k
}

// Count returns the exact number of tokens of text under enc. Special-token
// strings such as <|endoftext|> in user text are counted as ordinary text.
func Count(enc Encoding, text string) (int, error) {
	c, err := codec(enc)
	if err != nil {
		return 0, err
	}
	return c.Count(text)
}

// Estimate is a fast upper-leaning estimate (about 4 bytes a token for
// English, never less than a quarter of the bytes). Used for admission,
// then settled with the upstream's reported usage.
func Estimate(n int) int64 {
	return int64((n + 3) / 4)
}

// ChatOverhead is the framing cost of a chat request: tiktoken's cookbook
// counts 3 tokens per message plus 3 for the reply primer.
func ChatOverhead(messages int) int64 { return int64(3*messages + 3) }
