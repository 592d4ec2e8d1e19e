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
	cHarm            // harmful subject matter: weapons, drugs, malware, fraud, violence …
	cFrame           // fictional / hypothetical / academic framing: imagine, story, for educational purposes …
	cComply          // what refusal suppression targets: disclaimers, warnings, caveats, apologies, refusing …
	cNeg             // negation: not, never, no, without, don't …
	cEvade           // evasion: undetected, untraceable, without getting caught …
	cQuoted          // the token is inside quotation marks (set by the tokenizer, no words)
	cOwn             // the writer's own: I, my, me, ich, mein, je, mon, yo, mi, я, мой …
	numCats
)

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
	{1 << cNeg, 1 << cComply}, // "do not include warnings", "never refuse"
	{1 << cFrame, 1 << cHarm}, // "in a fictional world … build a bomb"
	{1 << cHarm, 1 << cEvade}, // "… without getting caught"
	{1 << cRole, 1 << cHarm},  // "you are a chemist … synthesize"
	// An attack phrase inside quotation marks: mentioned (a test string,
	// a report, a translation) more often than used.
	{1 << cQuoted, 1<<cOverride | 1<<cReveal | 1<<cPersona | 1<<cSystem | 1<<cInstr},
	// Override words next to the writer's own words: a user retracting
	// what they wrote ("forget the rules I gave earlier", "ignore my last
	// message", "vergesst die Uhrzeit, die ich genannt hatte") more often
	// than an attack on someone else's instructions.
	{1 << cOverride, 1 << cOwn},
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
	cHarm: {
		"bomb*", "explosiv*", "weapon*", "firearm*", "gun", "guns", "ammunition", "grenade*", "detonat*", "poison*", "toxin*", "nerve", "sarin", "ricin", "anthrax", "bioweapon*", "pathogen*",
		"drug", "drugs", "meth", "methamphetamine", "cocaine", "heroin", "fentanyl", "lsd", "narcotic*", "opioid*", "synthesiz*", "synthesis",
		"hack", "hacking", "hacked", "malware", "ransomware", "napalm", "thermite", "molotov", "untraceable", "counterfeit", "virus", "keylogger", "trojan", "botnet", "exploit", "exploits", "phishing", "ddos", "crack", "cracking", "spyware", "rootkit",
		"scam*", "fraud*", "launder*", "counterfeit*", "forge", "forged", "forgery", "steal*", "stole", "theft", "shoplift*", "smuggl*", "traffick*", "brib*", "extort*", "blackmail*", "embezzl*", "evade", "evasion",
		"kill", "killing", "murder*", "assassinat*", "torture*", "suicide", "self-harm", "harm", "hurt", "kidnap*", "terror*", "extremis*", "genocide", "massacre", "violence", "violent", "abuse*",
		"racist", "racism", "hate", "harass*", "bully*", "stalk*", "defamat*", "misinformation", "disinformation", "propaganda", "slur*", "derogatory", "explicit", "erotic", "porn*", "sexual",
		"illegal*", "illegally", "illicit", "unlawful*", "dangerous", "lethal", "deadly", "weaponiz*", "manipulat*", "dox*", "pirat*", "cheat*",
		// other languages
		"bombe*", "waffe*", "arme", "armes", "arma", "armas", "armi", "wapen*", "broń", "bomba*", "sprengstoff*", "explosif*", "explosivo*", "esplosiv*",
		"droge*", "drogue*", "droga*", "drugi", "stupéfiant*", "rauschgift*", "veneno*", "veleno*", "trucizn*",
		"töten", "tuer", "matar", "uccidere", "doden", "zabić", "morderstw*", "mord*", "meurtre*", "asesina*", "omicidio", "assassin*",
		"hacken", "pirater", "hackear", "piratear", "stehlen", "voler", "robar", "rubare", "roubar", "ukraść", "betrug*", "arnaque*", "estafa*", "truffa*", "golpe",
		"illegal", "illégal*", "ilegal*", "illegale*", "nielegaln*",
		"бомб*", "взрывчат*", "оружи*", "наркотик*", "яд", "убить", "убийств*", "взлом*", "украсть", "мошенничеств*", "незаконн*",
		"bomba", "silah*", "uyuşturucu*", "zehir*", "öldür*", "hackle*", "çal", "dolandırıcılık", "yasadışı",
		"قنبلة", "سلاح", "أسلحة", "مخدرات", "سم", "قتل", "اختراق", "سرقة", "احتيال",
		"폭탄*", "무기*", "마약*", "독약*", "죽이*", "살인*", "해킹*", "훔치*", "사기*", "불법*",
		"炸弹", "炸彈", "爆炸", "武器", "毒品", "毒药", "杀人", "殺人", "杀死", "黑客", "入侵", "偷", "诈骗", "詐騙", "洗钱", "非法",
		"爆弾", "爆発物", "麻薬", "毒物", "殺す", "ハッキング", "盗む", "詐欺", "違法",
	},
	cFrame: {
		"hypothetical*", "fictional*", "fiction", "imaginary", "imagine", "scenario*", "story", "novel", "screenplay", "script", "movie", "roleplay", "pretend",
		"educational", "academic", "purposes", "research", "purely", "theoretical*", "experiment", "universe", "simulation", "villain", "character", "protagonist",
		"memoir*", "autobiograph*", "chapter", "diary", "film", "scene", "episode", "documentary", "grandpa", "grandma", "grandmother", "grandfather", "deceased",
		"memoiren", "erinnerungen", "mémoires", "memorias", "memorie", "мемуар*", "回忆录",
		"hypothétique*", "fictif*", "fictive", "imagine*", "scénario*", "histoire", "roman", "éducatif*", "hypothetisch*", "fiktiv*", "stell", "vorstellen", "geschichte", "szenario*", "zwecke*", "bildungszwecke*",
		"hipotétic*", "ficticio*", "ficción", "imagina*", "historia", "escenario*", "educativo*", "ipotetic*", "immagina*", "storia", "scenario", "educativ*", "hipotétic*", "fictíci*", "história", "cenário*",
		"hypothetisch", "verzonnen", "stel", "verhaal", "hipotetyczn*", "wyobraź*", "fikcyjn*", "opowieść", "scenariusz*",
		"гипотетическ*", "вымышленн*", "представь*", "история", "рассказ*", "сценари*", "образовательн*",
		"varsayımsal", "kurgusal", "hayal", "hikaye*", "senaryo*", "eğitim",
		"افتراضي*", "خيالي*", "تخيل", "قصة", "سيناريو",
		"가상*", "상상*", "이야기", "소설", "시나리오", "교육*",
		"假设", "假設", "虚构", "虛構", "想象", "想像", "故事", "小说", "小說", "剧本", "场景", "教育目的", "仮定", "架空", "想像して", "物語", "小説", "シナリオ", "教育目的",
	},
	cComply: {
		"disclaimer*", "warning*", "caveat*", "apolog*", "refus*", "declin*", "moraliz*", "moralis*", "censor*", "sorry",
		"avertissement*", "excuse*", "refuse*", "warnung*", "hinweis*", "entschuldig*", "ablehn*", "advertencia*", "disculp*", "rechaz*", "negar*", "avvertiment*", "scus*", "rifiut*", "aviso*", "desculp*", "recus*",
		"waarschuwing*", "weiger*", "ostrzeżeń", "ostrzeże*", "odmaw*", "przeprasza*", "предупрежд*", "извин*", "отказ*", "uyarı*", "özür", "reddet*", "تحذير*", "اعتذار", "ترفض", "경고*", "사과*", "거절*", "警告", "免责声明", "道歉", "拒绝", "拒絕", "謝罪", "断らない", "拒否",
	},
	cNeg: {
		"not", "never", "no", "don't", "dont", "without", "avoid", "stop", "nor", "n't", "cannot", "can't", "won't",
		"ne", "pas", "jamais", "sans", "nicht", "nie", "niemals", "kein*", "ohne", "no", "nunca", "sin", "non", "mai", "senza", "não", "nunca", "sem", "niet", "nooit", "geen", "zonder", "nie", "bez", "не", "никогда", "без", "asla", "yok", "değil", "لا", "أبدا", "بدون", "않", "없이", "말고", "不要", "不", "别", "絕不", "决不", "绝不", "しないで", "ないで", "決して",
	},
	cOwn: {
		"i", "my", "me", "mine", "myself", "i'm", "i've", "i'd",
		"ich", "mein*", "mir", "mich", "je", "j", "mon", "ma", "mes", "moi",
		"yo", "mi", "mis", "io", "mio", "mia", "miei", "mie", "eu", "meu", "meus", "minha*",
		"ik", "mijn", "ja", "mój", "moja", "moje", "moich", "mnie", "mi",
		"я", "мой", "моя", "мои", "моё", "моего", "мою", "моих", "меня", "мне",
		"ben", "benim", "أنا", "내", "제가", "나는", "저는", "내가",
		"我", "私", "僕",
	},
	cEvade: {
		"undetect*", "untraceable", "traced", "trace", "caught", "detection", "noticing", "noticed", "unnoticed", "anonymous*", "authorities", "police", "evading", "covert*", "secretly", "discreet*",
		"erwischt", "unbemerkt", "entdeckt", "repéré*", "attrapé*", "détect*", "atrapado*", "detectado*", "detectar", "scoperto", "pego", "betrapt", "złapan*", "незаметно", "поймали", "yakalanma*", "fark", "كشف", "들키지", "발각*", "被发现", "被抓", "不被", "バレず", "見つからず",
	},
}
