package refusal

import (
	"context"
	"testing"

	"rampart/internal/scan"
)

func TestRefusal(t *testing.T) {
	yes := []string{
		"I'm sorry, but I can't help with that.",
		"I’m sorry, but I cannot assist with this request.",
		"I can't provide instructions for that.",
		"As an AI language model, I cannot browse the internet.",
		"Je suis désolé, mais je ne peux pas vous aider avec cela.",
		"Es tut mir leid, aber ich kann dabei nicht helfen.",
		"Lo siento, pero no puedo ayudar con eso.",
		"Mi dispiace, ma non posso aiutarti.",
		"Desculpe, mas não posso ajudar com isso.",
		"Извините, но я не могу помочь с этим.",
		"抱歉，我无法提供这些信息。",
		"申し訳ありませんが、その質問にはお答えできません。",
		"죄송하지만 도와드릴 수 없습니다.",
	}
	no := []string{
		"Sure! Here is the recipe you asked for.",
		"I can help with that: first, open the settings.",
		"The function can't be called twice; use a mutex.",
	}
	for _, s := range yes {
		fs, _ := Scanner{}.Scan(context.Background(), &scan.Text{Segments: []scan.Segment{{Text: s}}})
		if len(fs) != 1 || !fs[0].Whole || fs[0].Type != scan.Refusal {
			t.Errorf("missed %q", s)
		}
	}
	for _, s := range no {
		if fs, _ := (Scanner{}).Scan(context.Background(), &scan.Text{Segments: []scan.Segment{{Text: s}}}); len(fs) != 0 {
			t.Errorf("false positive %q", s)
		}
	}
}
