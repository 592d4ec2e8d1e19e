package detector

// Cue categories: meaning-level signals that are the same feature in every
// language, so what the model learns from English data transfers.
const (
	cOverride = iota // ignore, disregard, forget, override, bypass …
	cPrior           // previous, prior, above, earlier, initial, all …
	cInstr           // instructions, rules, guidelines, constraints …
	cSystem          // system, prompt, hidden, developer message …
	cReveal          // reveal, print, repeat, show, output, leak …
	cSecret          // password, secret, key, token, credentials …
	cRole            // act as, pretend, roleplay, simulate, you are now …
	cPersona         // DAN, developer mode, jailbreak, unfiltered, evil …
	cNoLimits        // no restrictions, unlimited, not bound, amoral …
	cExfil           // send, forward, upload, webhook, url, image …
	cTool            // execute, run, call, delete, transfer, shell …
	cNew             // new, instead, now, from now on, henceforth …
	cAbout           // discussion markers: attack, example, explain, detect, translate …
	cYou             // you, your, assistant, AI, model …
	numCats
)

var catNames = [numCats]string{
	"override", "prior", "instr", "system", "reveal", "secret", "role", "persona",
	"nolimits", "exfil", "tool", "new", "about", "you",
}

// conjunctions are pairs of categories that, seen within conjDist tokens
// of each other (in either order, for verb-final languages), form an
// attack-shaped phrase.
var conjunctions = [...][2]uint32{
	{1 << cOverride, 1<<cPrior | 1<<cInstr | 1<<cSystem},
	{1 << cReveal, 1<<cSystem | 1<<cSecret | 1<<cInstr},
	{1 << cRole, 1<<cPersona | 1<<cNoLimits},
	{1 << cNoLimits, 1<<cInstr | 1<<cYou},
	{1 << cExfil, 1<<cSecret | 1<<cSystem | 1<<cPrior},
	{1 << cTool, 1<<cNew | 1<<cOverride},
	{1 << cNew, 1 << cInstr},
	{1 << cAbout, 1<<cOverride | 1<<cReveal | 1<<cPersona | 1<<cNoLimits},
	{1 << cPrior, 1 << cInstr},
	{1 << cYou, 1<<cPersona | 1<<cRole},
}

const conjDist = 8

// lexicon lists cue words per category. A trailing * matches any word
// starting with the stem. Entries are lower-case. Scripts written without
// spaces (Chinese, Japanese) are matched as substrings of the run.
var lexicon = map[int][]string{
	cOverride: {
		// en
		"ignor*", "disregard*", "forget*", "forgot", "overrid*", "bypass*", "circumvent*", "neglect*", "skip", "discard*", "abandon*", "dismiss*", "overwrit*", "supersed*", "nevermind", "cancel*", "erase*", "reset",
		// fr
		"oubli*", "ignorez", "négliger", "néglige*", "outrepass*", "contourn*", "annul*",
		// de
		"ignorier*", "vergiss*", "vergessen", "missacht*", "überschreib*", "umgeh*", "verwirf*", "beachte", "vernachlässig*",
		// es, pt, it
		"olvid*", "omit*", "descart*", "esqueç*", "esquec*", "desconsider*", "dimentic*", "trascur*", "scord*", "salta", "evita",
		// nl
		"negeer*", "vergeet*", "omzeil*",
		// pl
		"zignoruj*", "ignoruj*", "zapomnij*", "pomiń", "pomin*", "lekceważ*",
		// ru
		"игнорируй*", "проигнорируй*", "игнорир*", "забудь*", "забыть", "пренебреги*", "обойди*", "отмени*",
		// tr
		"yoksay*", "unut*", "görmezden", "atla", "boşver*", "ihmal*",
		// ar
		"تجاهل*", "انس", "انسى", "إنس", "تخط*", "اهمل*", "أهمل*",
		// ko
		"무시*", "잊어*", "잊고*", "잊으*",
		// zh, ja (substring)
		"忽略", "忽视", "无视", "無視", "忘记", "忘掉", "忘記", "不要理会", "不理会", "忘れ", "無効", "覆盖", "绕过", "繞過",
	},
	cPrior: {
		"previous*", "prior", "above", "earlier", "preceding", "initial*", "original*", "all", "any", "every", "before", "old", "existing", "current", "default", "foregoing",
		"précédent*", "antérieur*", "toutes", "tous", "ci-dessus", "initial*",
		"vorherig*", "bisherig*", "obige*", "alle*", "früher*", "ursprünglich*", "vorangegangen*",
		"anterior*", "previa*", "previo*", "todas", "todos", "precedent*", "tutte", "tutti", "sopra", "iniziali",
		"vorige", "eerdere", "bovenstaande", "alle",
		"poprzedni*", "wcześniejsz*", "wszystkie", "powyższ*",
		"предыдущ*", "прежн*", "все", "всё", "выше", "ранее", "исходн*",
		"önceki*", "tüm", "bütün", "yukarıdaki",
		"السابق*", "جميع", "كل", "أعلاه",
		"이전*", "모든", "위의", "앞의",
		"之前", "以前", "先前", "上面", "所有", "上述", "前面", "以上", "全て", "すべて", "これまで", "先の",
	},
	cInstr: {
		"instruction*", "rule*", "guideline*", "directive*", "constraint*", "restriction*", "polic*", "programming", "command*", "orders", "guardrail*", "safeguard*", "filter*", "limitation*", "task", "context", "training",
		"consigne*", "règle*", "directive*",
		"anweisung*", "regel*", "vorgabe*", "richtlinie*", "befehl*", "einschränkung*", "anordnung*",
		"instruc*", "regla*", "norma*", "directriz*", "instruç*", "regra*", "istruzion*", "regol*", "direttiv*",
		"instructie*", "regel*", "richtlijn*", "opdracht*",
		"instrukcj*", "polece*", "zasad*", "reguł*", "wytyczn*",
		"инструкци*", "правил*", "указани*", "команд*", "ограничени*",
		"talimat*", "kural*", "yönerge*", "komut*",
		"التعليمات", "تعليمات*", "القواعد", "قواعد", "الأوامر", "أوامر", "الإرشادات",
		"지시*", "지침*", "규칙*", "명령*", "제한*",
		"指令", "指示", "规则", "規則", "说明", "命令", "限制", "ルール", "制約", "设定", "設定",
	},
	cSystem: {
		"system", "prompt*", "sysprompt", "hidden", "developer", "pre-prompt", "preprompt", "meta-prompt", "configuration", "internal", "underlying", "confidential",
		"système", "caché*", "systeme", "systèm*", "systemprompt*", "versteckt*", "verborgen*", "sistema", "oculto*", "oculta*", "nascost*", "systeem", "verborgen", "systemow*", "ukryt*",
		"систем*", "скрыт*", "промпт*", "sistem*", "gizli", "النظام", "المخفية", "시스템*", "프롬프트*", "숨겨진",
		"系统", "系統", "提示词", "提示詞", "システム", "プロンプト", "隐藏", "隠された",
	},
	cReveal: {
		"reveal*", "print*", "repeat*", "show*", "output*", "display*", "disclos*", "leak*", "dump*", "spell", "recite*", "expose*", "tell", "write", "echo", "list", "share", "verbatim", "copy", "translate",
		"révèl*", "revel*", "affich*", "montre*", "répète*", "imprim*", "divulg*",
		"zeig*", "gib", "verrat*", "wiederhol*", "enthüll*", "ausgeben", "drucke",
		"revela*", "muestra*", "mostra*", "repite*", "imprime*", "divulga*", "ripeti*", "stampa*", "rivela*",
		"toon", "herhaal*", "onthul*", "laat",
		"pokaż*", "wyświetl*", "ujawnij*", "powtórz*", "wypisz*",
		"покажи*", "раскрой*", "выведи*", "повтори*", "напиши*", "скажи*",
		"göster*", "açıkla*", "tekrarla*", "yazdır*", "ifşa*",
		"اكشف*", "أظهر*", "اعرض*", "كرر*", "اطبع*",
		"보여*", "공개*", "출력*", "반복*", "알려*",
		"显示", "输出", "透露", "泄露", "打印", "重复", "告诉我", "表示", "出力", "教えて", "繰り返", "公開",
	},
	cSecret: {
		"password*", "passwd", "secret*", "key", "keys", "api", "apikey", "token*", "credential*", "confidential", "private", "ssn", "passphrase",
		"mot", "secrète*", "clé*", "clef", "passwort*", "kennwort*", "geheim*", "schlüssel*", "contraseña*", "clave*", "senha*", "segredo*", "chave*", "segret*", "chiave*", "wachtwoord*", "sleutel*",
		"hasło*", "hasla", "klucz*", "пароль*", "секрет*", "ключ*", "şifre*", "parola*", "anahtar*", "gizli", "كلمة", "المرور", "سر", "السري*", "비밀*", "암호*", "키",
		"密码", "密碼", "秘密", "密钥", "パスワード", "秘密", "鍵", "キー",
	},
	cRole: {
		"act*", "pretend*", "roleplay*", "role-play*", "role", "simulat*", "imagin*", "persona", "character", "emulat*", "impersonat*", "become", "behave", "respond", "answer",
		"agis", "fais", "joue*", "prétend*", "incarn*", "rôle", "tu", "maintenant",
		"spiel*", "tu", "verhalte*", "rolle", "jetzt", "ab",
		"actúa*", "finge*", "interpreta*", "papel", "eres", "ahora", "finja*", "aja", "age", "agisci", "fingi*", "ruolo", "sei", "ora", "você", "agora",
		"speel*", "doe", "alsof", "rol", "nu", "udawaj*", "zachowuj*", "rolę", "teraz", "jesteś",
		"притворись*", "представь*", "веди", "роль", "теперь", "ты",
		"davran*", "rol", "gibi", "artık", "sen",
		"تظاهر*", "تصرف*", "دور", "الآن", "أنت",
		"역할*", "척", "이제", "너는", "당신은",
		"扮演", "假装", "假裝", "角色", "现在你是", "你现在", "你是", "演じ", "ふり", "なりきっ", "役割", "あなたは",
	},
	cPersona: {
		"dan", "jailbreak*", "jailbroken", "unfiltered", "uncensored", "unrestricted", "evil", "aim", "stan", "dude", "mongo", "devmode", "developer", "mode", "god", "chaos", "anarchy", "opposite", "antigpt", "betterdan", "dev", "unchained", "rogue", "malicious", "amoral", "immoral", "unethical", "nsfw", "sudo", "root", "admin", "administrator", "superuser", "debug",
		"débrid*", "sans", "entwicklermodus", "ungefiltert*", "modo", "desarrollador", "sviluppatore", "desenvolvedor", "ontwikkelaars*", "deweloper*", "режим", "разработчик*", "geliştirici", "المطور", "개발자", "开发者", "開発者", "越狱", "越獄", "脱獄",
	},
	cNoLimits: {
		"unlimited", "limitless", "restrictions", "unbound", "bound", "free", "freed", "anything", "whatever", "filters", "censorship", "ethics", "ethical", "moral*", "boundaries", "limits", "regardless", "unrestricted", "uncensored", "never", "refuse*", "refusal*",
		"sans", "limite*", "aucune", "keine", "grenzen", "frei", "einschränkungen", "sin", "límites", "restricciones", "sem", "limites", "senza", "limiti", "restrizioni", "zonder", "grenzen", "bez", "ograniczeń", "без", "ограничений", "свободн*", "sınırsız", "kısıtlama*", "بدون", "قيود", "제한없이", "제한", "无限制", "不受限制", "没有限制", "制限なし", "制限のない", "自由",
	},
	cExfil: {
		"send*", "forward*", "upload*", "post", "webhook*", "http", "https", "url", "link", "image", "img", "markdown", "email", "e-mail", "exfiltrat*", "transmit*", "curl", "wget", "fetch", "attacker", "evil.com", "query",
		"envoie*", "envoy*", "schick*", "sende*", "envía*", "envia*", "invia*", "stuur*", "wyślij*", "отправь*", "перешли*", "gönder*", "أرسل*", "보내*", "发送", "发给", "送信", "送って",
	},
	cTool: {
		"execute*", "run", "call", "invoke*", "delete*", "remove*", "transfer*", "shell", "bash", "terminal", "rm", "drop", "install*", "download*", "payment*", "purchase*", "tool*", "function*", "plugin*", "api", "database", "grant*",
		"exécut*", "ausführ*", "lösch*", "ejecut*", "borra*", "elimina*", "esegui*", "cancella*", "executa*", "voer", "verwijder*", "wykonaj*", "usuń*", "выполни*", "удали*", "çalıştır*", "sil", "نفذ*", "احذف*", "실행*", "삭제*", "执行", "删除", "実行", "削除",
	},
	cNew: {
		"new", "instead", "now", "henceforth", "onwards", "hereafter", "start", "begin", "replace*", "following", "actual", "real", "true", "only", "important", "attention", "urgent", "override", "updated",
		"nouvelle*", "nouveau*", "désormais", "neue*", "stattdessen", "ab", "sofort", "nueva*", "nuevo*", "lugar", "nuove", "nuovo", "invece", "nova*", "novo*", "vez", "nieuwe", "plaats", "nowe", "zamiast", "новые", "новая", "вместо", "yeni", "yerine", "الجديدة", "بدلا", "새로운", "대신", "新的", "新しい", "代わりに", "改为", "改為",
	},
	cAbout: {
		"attack*", "example*", "explain*", "detect*", "defen*", "mitigat*", "research*", "paper", "classif*", "vulnerab*", "security", "what", "why", "how", "means", "meaning", "quote*", "phrase", "sentence", "word", "article", "essay", "blog", "course", "lesson", "student*", "awareness", "protect*", "prevent*", "recogni*", "injection", "injections", "translat*", "say", "called", "term",
		"attaque*", "exemple*", "expliqu*", "phrase", "traduire", "traduis", "angriff*", "beispiel*", "erklär*", "satz", "übersetz*", "ataque*", "ejemplo*", "explica*", "frase", "traduc*", "tradu*", "attacco", "esempio", "spiega*", "aanval*", "voorbeeld*", "uitleg*", "vertaal*", "atak*", "przykład*", "wyjaśnij*", "przetłumacz*", "атак*", "пример*", "объясни*", "переведи*", "saldırı*", "örnek*", "çevir*", "هجوم", "مثال", "اشرح", "ترجم*", "공격*", "예시*", "설명*", "번역*", "攻击", "例子", "解释", "翻译", "攻撃", "説明", "翻訳",
	},
	cYou: {
		"you", "your", "yourself", "assistant", "ai", "chatgpt", "gpt", "model", "llm", "bot", "chatbot", "claude", "gemini", "copilot",
		"vous", "tu", "ton", "ta", "tes", "votre", "du", "dein*", "ihr", "sie", "tú", "tu", "tus", "usted", "você", "seu", "sua", "tuo", "tua", "tuoi", "je", "jouw", "uw", "ty", "twoje", "twój", "ты", "вы", "твои", "ваши", "sen", "senin", "siz", "أنت", "لك", "너", "당신", "你", "您", "あなた", "君",
	},
}
