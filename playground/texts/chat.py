"""Texts of the Chat & Arena tab (multi-turn chat with any model or adapter, two answers side by side). EN and KO hold the same keys
(tests/test_i18n.py checks it)."""

from __future__ import annotations

EN: dict[str, str] = {
    "tab.chat": "Chat & Arena",
    "chat.intro": (
        "## Chat with a model or an adapter\n"
        "Talk to the model as loaded, its 4-bit base (NF4 + DQ), or the 4-bit base with one of your runs' LoRA "
        "adapters. Every turn sends the whole conversation through the tokenizer's chat template, and the answer "
        "streams in token by token. Change what answers between turns: each answer is titled with the model "
        "that gave it."
    ),
    "chat.model": "Model (for the full-precision and 4-bit base targets)",
    "chat.settings": "Sampling (the same as the Studio's compare)",
    "chat.target": "Who answers",
    "chat.target_info": "the model as loaded, its 4-bit base, or a run's adapter on its own 4-bit base",
    "chat.target.model": "{label} · {model_id}",
    "chat.target.run": "{run_id} · {lora} · {model_id}",
    "chat.chatbot": "Conversation",
    "chat.message": "Message",
    "chat.message_placeholder": "Type a message and press Send",
    "chat.send": "Send",
    "chat.clear": "Clear",
    "chat.idle": "Pick who answers, type a message, press Send.",
    "chat.answering": "{label} is answering…",
    "chat.answered": "{label} answered in {seconds} s · the model was given {tokens} tokens of conversation.",
    "chat.dropped": (
        " The earliest {count} message(s) were left out of what the model was given: a chat gives the model its last "
        "{turns} turns and at most {limit} tokens."
    ),
    "chat.empty": "(no text: the model ended its answer at once)",
    # the arena
    "chat.arena": "## Arena: two answers side by side",
    "chat.arena_info": (
        "One prompt, two models or adapters, the same sampling settings and seed. **A answers first, then B** "
        "(both may be the same 4-bit model with another adapter active, so they take turns). Once both answers "
        "are complete, mark the better one: one vote per prompt. The tally counts every pair you have voted on."
    ),
    "chat.arena_a": "Model A",
    "chat.arena_b": "Model B",
    "chat.arena_prompt": "Prompt",
    "chat.arena_prompt_default": "Give me one tip for learning a new language.",
    "chat.arena_ask": "Ask both",
    "chat.answer_a": "A",
    "chat.answer_b": "B",
    "chat.vote_a": "A is better",
    "chat.vote_b": "B is better",
    "chat.vote_tie": "Tie",
    "chat.arena_idle": "Pick A and B, type a prompt, press Ask both.",
    "chat.arena_answering": "{label} is answering…",
    "chat.arena_done": "Both answered: which is better?",
    "chat.voted": "Vote recorded: {choice}. Ask another prompt to vote again.",
    "chat.choice.a": "A ({label}) is better",
    "chat.choice.b": "B ({label}) is better",
    "chat.choice.tie": "a tie",
    "chat.tally": "Tally per pair",
    "chat.col.first": "model 1",
    "chat.col.first_wins": "model 1 wins",
    "chat.col.second": "model 2",
    "chat.col.second_wins": "model 2 wins",
    "chat.col.ties": "ties",
    "chat.col.total": "votes",
    # errors
    "chat.err.pick_target": "pick who answers: the full-precision model, its 4-bit base or a run",
    "chat.err.no_message": "type a message to send",
    "chat.err.no_prompt": "type a prompt for both models",
    "chat.err.message_too_long": (
        "a message of {chars} characters is longer than the {limit} tokens one message may take "
        "(PLAYGROUND_MAX_PROMPT_TOKENS): shorten it"
    ),
    "chat.err.messages": "the conversation must be a list of messages with a role and a content",
    "chat.err.too_many_messages": (
        "the conversation has {count} messages, more than the {limit} a chat keeps: press Clear to start a new one"
    ),
    "chat.err.role": "a message's role must be 'user' or 'assistant', got {role}",
    "chat.err.content": "only text messages can be sent, got a {kind} part",
    "chat.err.decoding": "the sampling settings must be a Decoding (max_new_tokens, temperature, seed)",
    "chat.err.same_pair": "pick two different models or adapters for A and B",
    "chat.err.winner": "a vote is 'a', 'b' or 'tie', got {winner}",
    "chat.err.vote_first": "ask both models a prompt first: a vote is for the two answers shown",
    "chat.err.vote_wait": "wait until both answers are complete, then vote",
    "chat.err.voted": "this prompt already has its vote: ask another prompt to vote again",
    "chat.err.vote_other": "the answers shown are from {a} vs {b}: ask this pair a prompt before voting",
    "chat.err.max_pairs": "the arena keeps at most {limit} pairs per session",
}

KO: dict[str, str] = {
    "tab.chat": "채팅 & 아레나",
    "chat.intro": (
        "## 모델이나 어댑터와 채팅하기\n"
        "불러온 모델 그대로, 그 4비트 베이스(NF4 + DQ), 또는 여러분이 학습한 LoRA 어댑터를 붙인 4비트 베이스와 "
        "대화합니다. 매 턴마다 대화 전체가 토크나이저의 채팅 템플릿을 거쳐 모델에 들어가고, 답은 토큰 단위로 "
        "스트리밍됩니다. 턴 사이에 답하는 모델을 바꿀 수 있으며, 각 답에는 그 답을 낸 모델이 제목으로 붙습니다."
    ),
    "chat.model": "모델 (전체 정밀도와 4비트 베이스 대상에 쓰임)",
    "chat.settings": "샘플링 (Studio의 비교와 같음)",
    "chat.target": "답하는 모델",
    "chat.target_info": "불러온 모델 그대로, 그 4비트 베이스, 또는 자기 4비트 베이스에 붙인 실행의 어댑터",
    "chat.target.model": "{label} · {model_id}",
    "chat.target.run": "{run_id} · {lora} · {model_id}",
    "chat.chatbot": "대화",
    "chat.message": "메시지",
    "chat.message_placeholder": "메시지를 입력하고 보내기를 누르세요",
    "chat.send": "보내기",
    "chat.clear": "지우기",
    "chat.idle": "답하는 모델을 고르고 메시지를 입력한 뒤 보내기를 누르세요.",
    "chat.answering": "{label} 모델이 답하는 중…",
    "chat.answered": "{label} 모델이 {seconds}초 만에 답했습니다 · 모델에 대화 {tokens} 토큰이 들어갔습니다.",
    "chat.dropped": (
        " 가장 앞의 메시지 {count}개는 모델에 들어가지 않았습니다. 채팅은 마지막 {turns}턴, 최대 {limit} 토큰까지만 "
        "모델에 넣습니다."
    ),
    "chat.empty": "(텍스트 없음: 모델이 곧바로 답을 끝냈습니다)",
    "chat.arena": "## 아레나: 두 답을 나란히",
    "chat.arena_info": (
        "프롬프트 하나, 모델이나 어댑터 둘, 같은 샘플링 설정과 시드. **A가 먼저 답하고 그다음 B가 답합니다** "
        "(둘 다 같은 4비트 모델에 다른 어댑터를 켠 것일 수 있어서 차례로 답합니다). 두 답이 모두 끝나면 더 나은 쪽을 "
        "고르세요. 프롬프트 하나에 한 표입니다. 집계표는 투표한 모든 쌍을 셉니다."
    ),
    "chat.arena_a": "모델 A",
    "chat.arena_b": "모델 B",
    "chat.arena_prompt": "프롬프트",
    "chat.arena_prompt_default": "새 언어를 배우는 팁을 하나 알려 주세요.",
    "chat.arena_ask": "둘 다에게 묻기",
    "chat.answer_a": "A",
    "chat.answer_b": "B",
    "chat.vote_a": "A가 더 낫다",
    "chat.vote_b": "B가 더 낫다",
    "chat.vote_tie": "비김",
    "chat.arena_idle": "A와 B를 고르고 프롬프트를 입력한 뒤 둘 다에게 묻기를 누르세요.",
    "chat.arena_answering": "{label} 모델이 답하는 중…",
    "chat.arena_done": "둘 다 답했습니다. 어느 쪽이 더 나은가요?",
    "chat.voted": "투표를 기록했습니다: {choice}. 다시 투표하려면 다른 프롬프트를 물어보세요.",
    "chat.choice.a": "A({label})가 더 낫다",
    "chat.choice.b": "B({label})가 더 낫다",
    "chat.choice.tie": "비김",
    "chat.tally": "쌍별 집계",
    "chat.col.first": "모델 1",
    "chat.col.first_wins": "모델 1 승",
    "chat.col.second": "모델 2",
    "chat.col.second_wins": "모델 2 승",
    "chat.col.ties": "비김",
    "chat.col.total": "투표 수",
    "chat.err.pick_target": "답하는 모델을 고르세요: 전체 정밀도 모델, 그 4비트 베이스, 또는 실행 하나",
    "chat.err.no_message": "보낼 메시지를 입력하세요",
    "chat.err.no_prompt": "두 모델에게 물을 프롬프트를 입력하세요",
    "chat.err.message_too_long": (
        "{chars}자짜리 메시지가 메시지 하나에 허용되는 {limit} 토큰보다 깁니다(PLAYGROUND_MAX_PROMPT_TOKENS). "
        "메시지를 줄이세요"
    ),
    "chat.err.messages": "대화는 role과 content가 있는 메시지의 목록이어야 합니다",
    "chat.err.too_many_messages": (
        "대화의 메시지가 {count}개로, 채팅이 보관하는 {limit}개보다 많습니다. 지우기를 눌러 새 대화를 시작하세요"
    ),
    "chat.err.role": "메시지의 role은 'user' 또는 'assistant'여야 합니다. 입력값: {role}",
    "chat.err.content": "텍스트 메시지만 보낼 수 있습니다. 받은 부분: {kind}",
    "chat.err.decoding": "샘플링 설정은 Decoding(max_new_tokens, temperature, seed)이어야 합니다",
    "chat.err.same_pair": "A와 B에 서로 다른 모델이나 어댑터를 고르세요",
    "chat.err.winner": "투표는 'a', 'b', 'tie' 중 하나입니다. 입력값: {winner}",
    "chat.err.vote_first": "먼저 두 모델에게 프롬프트를 물어보세요. 투표는 화면에 보이는 두 답에 대한 것입니다",
    "chat.err.vote_wait": "두 답이 모두 끝날 때까지 기다린 뒤 투표하세요",
    "chat.err.voted": "이 프롬프트에는 이미 투표했습니다. 다시 투표하려면 다른 프롬프트를 물어보세요",
    "chat.err.vote_other": "화면의 답은 {a} 대 {b}의 답입니다. 투표하기 전에 이 쌍에게 프롬프트를 물어보세요",
    "chat.err.max_pairs": "아레나는 세션마다 최대 {limit}개의 쌍을 보관합니다",
}
