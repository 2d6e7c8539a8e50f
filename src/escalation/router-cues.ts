/**
 * The words and patterns the router's features look for (router-features.ts): closed-class words (question
 * words, function words) and the common verbs and nouns of a kind of task in English, French, Spanish and German,
 * plus a few structural patterns (code, stack traces, numbers, operators). The lists are data; every list built
 * with cues() is registered in CUE_ALTERNATIVES, in this order, for the keyword audit in tools/router/.
 */

/** Every cue word list, by the regex built from it (for the keyword audit in tools/router/). */
export const CUE_ALTERNATIVES = new Map<RegExp, string[]>();

/** One alternative as a regex: whole words, `*` at the end allows any ending (inflections). */
export function cueRegex(word: string): RegExp {
  return cues(word, false);
}

/** A word list as a regex: whole words, `*` at the end of an entry allows any ending (inflections). */
export function cues(list: string, register = true): RegExp {
  const words = list
    .split('|')
    .map((w) => w.trim())
    .filter(Boolean);
  const alts = words.map((w) => {
    const stem = w.endsWith('*') ? w.slice(0, -1) : w;
    const escaped = stem.replace(/[.+?^${}()[\]\\]/g, '\\$&').replace(/ /g, '\\s+');
    return w.endsWith('*') ? `${escaped}[\\p{L}\\p{M}]*` : escaped;
  });
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${alts.join('|')})(?![\\p{L}\\p{N}])`, 'iu');
  if (register) CUE_ALTERNATIVES.set(re, words);
  return re;
}

export function count(re: RegExp, text: string): number {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
  return (text.match(g) ?? []).length;
}

// ── function words (for router-language.ts) ─────────────────────────────────────────────────────────────────

/** Function words, the most reliable short-text language cue. */
export const FUNCTION_WORDS = {
  en: cues(
    'the|and|is|are|of|to|my|you|your|what|how|can|i|it|this|that|for|with|please|do|does|me|a|an|in|be|will|would|should|am|was|were|have|has|if|or|but|not|there|they|we|he|she|from|by|at|on|about|which|who|when|want|need',
  ),
  fr: cues(
    "le|la|les|des|est|et|je|tu|vous|mon|ma|mes|une|un|pour|avec|dans|sur|pas|que|qui|quel|quelle|comment|pourquoi|c'est|j'ai|du|au|aux|ce|cette|être|peux|pouvez|merci|s'il|il|elle|nous|ils|sont|mais|ou|si|plus|très|ses|son|sa|ne|se|lui|leur|ces|veux|faut|dois",
  ),
  es: cues(
    'el|la|los|las|es|y|yo|tú|mi|mis|una|un|para|con|en|por|que|qué|cómo|cuál|por qué|del|al|este|esta|puedes|puede|gracias|no|muy|son|estoy|tengo|lo|le|les|se|me|nos|pero|o|si|más|hay|como|cuando|donde|sus|su|tiene|hace|quiero|necesito',
  ),
  de: cues(
    'der|die|das|und|ist|ich|du|sie|mein|meine|ein|eine|für|mit|in|auf|nicht|wie|was|warum|welche|kann|können|bitte|den|dem|des|zu|es|bin|habe|wir|ihr|dass|gibt|viele|sind|auch|oder|aber|wenn|noch|schon|mir|mich|dir|uns|einen|einem|nach|von|bei|aus|über|um|soll|muss|möchte|brauche',
  ),
} as const;

// ── structure ───────────────────────────────────────────────────────────────────────────────────────────────

export const CODE_LINE =
  /^\s*(?:def |class |import |from \S+ import|function\b|const |let |var |return\b|public |private |#include|SELECT\b|INSERT\b|UPDATE\b|for\s*\(|while\s*\(|if\s*\(|\}|\{|<\/?[a-z][\w-]*[^>]*>|\$ |>>> |\w+\s*=\s*[^=])|[;{}]\s*$|=>|\)\s*:\s*$/im;
export const STACK_TRACE =
  /Traceback \(most recent call last\)|^\s+at [\w$.<>]+ ?\(|\b\w*(?:Error|Exception)\b(?::|\s+at\b)|\bline \d+\b|segmentation fault|core dumped|exit (?:code|status) \d+|\bundefined is not\b|cannot read propert|\bnull pointer|\bpanic(?:ked)?:|\bE\d{4}\b|\berror\[E?\d+\]|\bwarning: |npm ERR!|\bfailed with\b|\bstack ?trace\b/im;
export const TECH_TERMS = cues(
  'code|coding|program*|script*|function*|fonction*|función*|funktion*|class|classe|klasse|method*|méthode*|método*|methode*|variable*|array*|tableau|arreglo|loop|boucle|bucle|schleife|api|sql|query|requête|consulta|abfrage|regex|algorithm*|algorithme*|algoritmo*|algorithmus|compil*|kompil*|debug*|bug|bugs|fehlermeldung|error*|erreur*|fehler*|exception*|python|javascript|typescript|java|c++|rust|golang|bash|shell|docker|git|css|html|json|yaml|react|node|database|base de données|base de datos|datenbank|server|serveur|servidor|unit test*|test unitaire*|endpoint|framework|library|bibliothèque|librería|biblioteca|bibliothek|backend|frontend|regular expression*|expression régulière|expresión regular|regulärer ausdruck|shader*|module*|modul|component*|composant*|componente*|komponente*|cache|caché|thread*|async|await|lock*|locking|iterator*|parser|cli|terraform|kubernetes|sdk|deploy*|endpoint*|repository|repo|commit|merge',
);
/** Verbs that ask for something to be built, in four languages (imperatives, infinitives, "can you" forms). */
export const BUILD_VERBS = cues(
  'write|implement*|build|create|develop|refactor*|optimi*|fix|debug|port|migrate|design|generate|convert|écri*|implément*|développ*|crée*|créer|corrige*|corriger|optimis*|concevoir|conçois|génère|escrib*|implement*|desarroll*|crea|crear|corrig*|optimiz*|diseña*|genera*|schreib*|implementier*|entwickl*|erstell*|korrigier*|optimier*|behebe*|beheb*|entwirf|entwerfen|generier*|programmier*',
);
export const NUMBER = /(?<![\p{L}])\d+(?:[.,]\d+)?(?![\p{L}])/gu;
export const OPERATORS =
  /\d\s*[-+*/×÷^=<>≤≥%]\s*\(?\s*[\d\p{L}]|[∫∑√∏πΣ∂∞≡≈]|\b[a-z]\s*\^\s*\d|\b\d*[a-z]\s*[+\-=]\s*\d|\blog\s*\(|\bsin\s*\(|\bmod\b|\bf\(x\)|\bdx\b/iu;
export const MATHS_TERMS = cues(
  'calculate|compute|solve|equation*|integral*|derivative*|probabilit*|percent*|ratio|average|mean|sum|product|fraction*|prime*|divisible|divisor*|factor*|factori*|square root|modulo|remainder|sequence|series|matrix|matrices|eigen*|vector*|limit|logarithm*|exponent*|calcul*|résou*|résoudre|équation*|intégrale*|dérivée*|probabilité*|pourcentage*|moyenne|somme|nombre premier|nombres premiers|diviseur*|racine carrée|reste|suite|matrice*|limite|calcula*|resuelve|resolver|ecuaci*|integral*|derivada*|probabilidad*|porcentaje*|promedio|media|suma|número primo|números primos|divisor*|raíz cuadrada|resto|sucesión|berechne*|berechnen|löse|lösen|gleichung*|integral*|ableitung*|wahrscheinlichkeit*|prozent*|durchschnitt|summe|primzahl*|teiler|teilbar|quadratwurzel|rest|folge|reihe|matrix',
);
export const QUANTITY_QUESTION = cues(
  'how many|how much|how long|how far|how fast|what time|at what|combien|en combien|à quelle heure|quel âge|cuántos|cuántas|cuánto|cuánta|a qué hora|cuánto tiempo|qué edad|wie viele|wie viel|wie lange|wie weit|wie schnell|um wie viel|wann genau|wie alt',
);
export const PROOF = cues(
  'prove|proof|show that|demonstrate that|rigorous*|démontre*|démontrer|démonstration|montre que|montrer que|prouve*|prouver|demuestra*|demostrar|demostración|prueba que|probar que|beweis*|zeige dass|zeige, dass|zeigen dass|zeigen, dass|herleit*',
);
export const LOGIC = cues(
  'puzzle|riddle|logic*|lies|liar|always lies|tells the truth|knight*|who is lying|énigme|devinette|logique|ment|menteur|dit la vérité|acertijo|adivinanza|lógic*|miente|mentiroso|dice la verdad|rätsel|logik*|logisch*|lügt|lügner|sagt die wahrheit|if and only if|si et seulement si|si y solo si|genau dann',
);
/** Words that add a constraint to a request, in four languages. */
export const CONSTRAINT_WORDS = cues(
  "must|must not|should|without|at least|at most|no more than|under|within|exactly|only|each|every|avoid|don't|do not|not more than|between|budget|deadline|doit|doivent|sans|au moins|au plus|au maximum|pas plus de|exactement|seulement|chaque|éviter|évite|entre|budget|délai|debe|deben|sin|al menos|como máximo|no más de|exactamente|solo|sólo|cada|evitar|evita|entre|presupuesto|plazo|muss|müssen|soll|ohne|mindestens|höchstens|maximal|nicht mehr als|genau|nur|jede|jeder|jedes|vermeide*|zwischen|budget|frist",
);
export const LENGTH_UNITS = cues(
  'word*|page*|paragraph*|mot|mots|paragraphe*|palabra*|página*|párrafo*|wörter*|worte|seite*|absätze*|absatz',
);
export const LONG_FORMS = cues(
  'essay*|dissertation*|thesis|report|article|chapter*|story|novel*|speech|cover letter|business plan|white paper|essai*|rédaction|mémoire|rapport|chapitre*|nouvelle|roman|discours|lettre de motivation|ensayo*|redacción|informe|artículo|capítulo*|relato|cuento|novela|discurso|carta de presentación|aufsatz*|erörterung|hausarbeit|bericht|artikel|kapitel|geschichte|erzählung|roman|rede|anschreiben|bewerbungsschreiben',
);
export const DETAIL = cues(
  'detailed|in detail|in depth|in-depth|thorough*|comprehensive|long|extensive|step by step|step-by-step|détaillé*|en détail|approfondi*|complet|complète|long|longue|étape par étape|detallad*|en detalle|a fondo|exhaustiv*|complet*|largo|larga|paso a paso|ausführlich*|detailliert*|gründlich*|umfassend*|lang*|schritt für schritt',
);
export const PLAN = cues(
  'plan|planning|schedule|itinerary|timetable|roadmap|programme|program|strategy|organise|organize|planifi*|organise*|organiser|emploi du temps|itinéraire|calendrier|stratégie|planific*|organiza*|horario|itinerario|calendario|estrategia|cronograma|plane*|planung|zeitplan|reiseplan|stundenplan|ablaufplan|strategie|organisier*',
);
export const ANALYSIS = cues(
  'analyse*|analyze*|analysis|compare*|comparison|evaluate*|assess*|critique*|argue|argument*|pros and cons|trade-off*|tradeoff*|implication*|explain why|justify|discuss|weigh|analys*|compar*|évalue*|évaluer|critique*|argumente*|avantages et inconvénients|explique pourquoi|justifie*|discute*|analiza*|evalúa*|evaluar|critica*|argumenta*|ventajas y desventajas|explica por qué|justifica*|discut*|analysier*|vergleich*|bewerte*|bewerten|beurteil*|kritisier*|argumentier*|vor- und nachteile|erkläre warum|erkläre, warum|begründe*|diskutier*|abwäg*',
);
export const LIVE = cues(
  "today|tonight|now|right now|currently|current|latest|newest|recent|recently|this week|this month|this year|yesterday|tomorrow|live|news|score|result*|exchange rate|rate|price|prices|stock|weather|forecast|open now|traffic|delayed|late|standings|table|leaderboard|aujourd'hui|ce soir|maintenant|en ce moment|actuel*|actuellement|dernier|dernière|derniers|dernières|récent*|cette semaine|hier|demain|en direct|actualités|infos|score|résultat*|taux|cours|prix|bourse|météo|prévisions|en retard|retard|classement|hoy|esta noche|ahora|actual*|actualmente|último|última|últimos|últimas|reciente*|esta semana|ayer|mañana|en directo|noticias|marcador|resultado*|tipo de cambio|cotización|precio*|bolsa|tiempo que hace|clima|pronóstico|retraso|con retraso|clasificación|heute|heute abend|jetzt|gerade|aktuell*|derzeit|neueste*|letzte*|kürzlich|diese woche|gestern|morgen|live|nachrichten|spielstand|ergebnis*|wechselkurs|kurs|preis*|börse|wetter|vorhersage|verspätung|verspätet|tabelle",
);
export const MEDICAL = cues(
  'symptom*|pain|hurts|fever|dose|dosage|mg|medication*|medicine|drug*|pill*|prescri*|doctor|diagnos*|pregnan*|blood|chest|rash|infection|allerg*|vaccin*|side effect*|breath*|dizzy|vomit*|bleed*|injur*|symptôme*|douleur*|fièvre|posologie|médicament*|ordonnance|médecin|diagnostic|enceinte|grossesse|sang|poitrine|éruption|infection|allergi*|vaccin*|effets secondaires|respir*|vertige*|saign*|síntoma*|dolor*|fiebre|dosis|medicamento*|médico|diagnóstico|embarazada|embarazo|sangre|pecho|erupción|infección|alergi*|vacuna*|efectos secundarios|respirar|mareo*|sangr*|symptom*|schmerz*|fieber|dosis|dosierung|medikament*|tablette*|arzt|ärztin|diagnose|schwanger*|blut*|brust|ausschlag|infektion|allergi*|impf*|nebenwirkung*|atem*|schwindel*|blute*|verletz*',
);
export const URGENT = cues(
  "suddenly|all of a sudden|soudain|soudainement|tout à coup|de repente|repentinamente|plötzlich|urgent*|emergency|right now|immediately|can't breathe|cannot breathe|severe|unconscious|swallowed|overdose|suicid*|chest pain|bleeding|urgence|urgent|tout de suite|immédiatement|respire plus|inconscient*|avalé|surdose|douleur thoracique|urgencia|urgente|ahora mismo|inmediatamente|no puedo respirar|inconsciente|se tragó|tragado|sobredosis|dolor en el pecho|notfall|dringend|sofort|bewusstlos|verschluckt|überdosis|brustschmerz*|kann nicht atmen",
);
export const LEGAL = cues(
  'law|legal*|illegal|lawyer|attorney|court|sue|lawsuit|contract*|clause*|lease|landlord|tenant|right*|liabilit*|notice period|dismiss*|fired|visa|custody|inheritance|will|gdpr|loi|légal*|illégal*|avocat*|tribunal|procès|contrat*|bail|propriétaire|locataire|droit*|responsabilité|préavis|licenci*|titre de séjour|garde|héritage|succession|rgpd|ley|legal*|ilegal*|abogad*|tribunal|juicio|demanda*|contrato*|cláusula*|alquiler|arrendador|inquilino|derecho*|responsabilidad|preaviso|despid*|herencia|testamento|custodia|gesetz*|recht*|rechtlich*|illegal|anwalt|anwältin|gericht|klage*|verklagen|vertrag*|klausel*|mietvertrag|vermieter*|mieter*|kündigung*|gekündigt|haftung|erbe|erbschaft|testament|sorgerecht|dsgvo|aufenthaltstitel|citizenship|nationality|naturali*|residence permit|nationalité|carte de séjour|ciudadanía|nacionalidad|permiso de residencia|einbürger*|staatsangehörigkeit|aufenthalt*|immigration|visado|visum',
);
export const FINANCE = cues(
  "tax*|taxes|invest*|loan|mortgage|pension|retirement|interest rate|interest|savings|stock*|shares|dividend*|capital gains|deduct*|vat|insurance|debt|credit|impôt*|impots|fiscal*|déclaration de revenus|investi*|prêt|hypothèque|crédit|retraite|taux d’intérêt|taux d'intérêt|intérêts|épargne|actions|dividende*|plus-value*|tva|assurance*|dette*|impuesto*|hacienda|declaración de la renta|irpf|inversi*|invertir|préstamo|hipoteca|pensión|jubilación|tipo de interés|intereses|ahorro*|acciones|dividendo*|iva|seguro*|deuda*|crédito|steuer*|steuererklärung|finanzamt|investi*|anlage*|kredit*|darlehen|hypothek|rente|altersvorsorge|zins*|ersparnis*|aktie*|dividende*|mehrwertsteuer|versicherung*|schulden|abzugsfähig|absetzen",
);
/** Tasks small models do well, as each language asks for them. */
export const LOCAL_TASK = cues(
  'rewrite|reword|rephrase|paraphrase|shorten|simplify|correct|proofread|fix the grammar|fix the spelling|translate|summarise|summarize|sum up|tldr|tl;dr|classify|categorise|categorize|label|tag|extract|list|give me|suggest|name|define|what does|synonym*|antonym*|reformule*|reformuler|réécri*|raccourci*|simplifie*|corrige|corriger|traduis|traduire|traduction|résume*|résumer|classe*|classer|extrais|extraire|liste|donne-moi|suggère|propose|définis|que veut dire|synonyme*|reescrib*|reformula*|acorta*|simplifica*|corrige|corregir|traduce|traducir|traducción|resume|resumir|resumen|clasifica*|extrae|extraer|lista|dame|sugiere|propón|define|qué significa|sinónimo*|umformulier*|formuliere*|umschreib*|kürze*|vereinfache*|korrigiere|korrigieren|übersetze*|übersetzen|übersetzung|fasse*|zusammenfass*|klassifizier*|ordne*|extrahier*|liste|gib mir|schlage*|nenne*|definiere*|was bedeutet|synonym*',
);
export const GREETING = cues(
  "hi|hello|hey|good morning|good evening|good night|thanks|thank you|bye|how are you|bonjour|bonsoir|salut|coucou|merci|au revoir|ça va|comment vas-tu|hola|buenos días|buenas tardes|buenas noches|gracias|adiós|qué tal|cómo estás|hallo|guten morgen|guten abend|gute nacht|danke|tschüss|wie geht's|wie geht es dir|servus|moin",
);
export const SHORT_QUESTION = cues(
  "what is|what's|who is|who was|when is|when was|where is|what does|qu'est-ce que|qui est|qui était|quand|où est|c'est quoi|qué es|quién es|quién fue|cuándo|dónde está|was ist|wer ist|wer war|wann|wo ist",
);
/** Verse with a strict form (a short poem is an everyday task; a sonnet with a rhyme scheme is not). */
export const CREATIVE_FORM = cues(
  'sonnet*|villanelle*|sestina|iambic|pentameter|rhyme scheme|alexandrin*|rimes croisées|rimes embrassées|octosyllab*|soneto*|endecasílab*|octosílab*|rima consonante|rima asonante|sonett*|jambe*|jamben|reimschema|hebig*|acrostic|acrostiche|acróstico|akrostichon|limerick|abab|abba',
);
export const RARE_LANGUAGES = cues(
  'yoruba|quechua|icelandic|tigrinya|welsh|amharic|basque|khmer|maori|māori|lao|sinhala|wolof|faroese|hmong|igbo|hausa|zulu|xhosa|somali|swahili|nepali|burmese|mongolian|tibetan|uyghur|pashto|kurdish|armenian|georgian|albanian|maltese|irish|gaelic|breton|luxembourgish|estonian|latvian|lithuanian|kinyarwanda|malagasy|samoan|tongan|guarani|aymara|inuktitut|cherokee|navajo|hawaiian|islandais|gallois|basque|swahili|breton|quechua|islandés|galés|vasco|euskera|suajili|bretón|isländisch*|walisisch*|baskisch*|suaheli|bretonisch*|gälisch*',
);
/** Something was swallowed or eaten: poisoning questions, for people and pets. */
export const INGESTED = cues(
  'ate|eaten|swallowed|drank|has eaten|a mangé|mangé|avalé|a bu|ingéré|se ha comido|se comió|comido|se tragó|tragado|se ha tomado|se bebió|ingerido|gegessen|gefressen|verschluckt|getrunken|geschluckt',
);
/** Is it safe, dangerous, allowed: the answer has consequences. */
export const SAFETY = cues(
  "safe|safely|unsafe|dangerous|danger|risk*|harmful|is it serious|allowed|legal to|sans danger|dangereux|dangereuse|risque*|grave|c'est grave|autorisé|ai-je le droit|seguro|segura|peligroso|peligrosa|riesgo*|es grave|permitido|tengo derecho|sicher|gefährlich|gefahr|risiko*|schlimm|erlaubt|darf ich",
);
export const WHY = cues('why|how come|pourquoi|por qué|porqué|warum|wieso|weshalb');
/** Asking what to do in a personal, social or practical situation: advice where judgement matters. */
export const ADVICE = cues(
  "which is better|better for me|worth it|vaut-il mieux|vaut mieux|le plus avantageux|quels recours|me conviene|conviene más|es mejor para mí|lohnt sich|besser für mich|what should i|what do i do|how should i|should i|how do i talk|how do i tell|how to handle|how do i handle|how can i help|what are my options|is it normal|que dois-je|que faire|dois-je|comment lui dire|comment lui en parler|comment gérer|comment l'aider|est-ce normal|quelles sont mes options|qué hago|qué debo|debería|cómo le digo|cómo manejo|cómo puedo ayudar*|es normal|qué opciones tengo|was soll ich|soll ich|wie sage ich|wie spreche ich|wie gehe ich|wie kann ich ihm helfen|wie kann ich ihr helfen|ist das normal|welche möglichkeiten habe ich",
);
export const SHORT_OUTPUT = cues(
  'short|shorter|brief|briefly|quick|one sentence|one line|one word|two sentences|a few words|in short|court|courte|bref|brève|rapide|en une phrase|en un mot|en quelques mots|corto|corta|breve|rápido|en una frase|en una palabra|en pocas palabras|kurz|kurze|kurzen|knapp|schnell|in einem satz|in einem wort|mit wenigen worten',
);
export const TRANSLATE = cues(
  'translate|into|traduis|traduire|en|traduce|traducir|al|übersetze*|übersetzen|ins|auf',
);
/** Words that ask for something (with a question mark, a pasted error becomes a question about it). */
export const ASKS = cues(
  'why|what|how|fix|help|explain|wrong|pourquoi|quoi|comment|aide*|explique*|problème|por qué|qué|cómo|ayuda*|explica*|problema|warum|was|wie|hilf*|erkläre*|problem',
);
