import type { ChatMessage } from '../../../schemas/chat-message.js';
import type { Tokenizer } from '../../tokenizer/tokenizer.js';

const B_INST = '[INST]';
const E_INST = '[/INST]';
const B_SYS = '<<SYS>>\n';
const E_SYS = '\n<</SYS>>\n\n';

/**
 * The Llama-2 chat prompt as token ids, as Meta's reference builds it: each finished exchange is
 * `<s>[INST] {user} [/INST] {assistant} </s>`, the last user turn `<s>[INST] {user} [/INST]`, and the system
 * prompt is folded into the first user turn. BOS/EOS are control ids added here; every text piece is encoded
 * as text, so `<s>` or `[INST]` typed by a caller stays text. The order was validated by the schema.
 */
export function chatPromptIds(tokenizer: Tokenizer, messages: readonly ChatMessage[]): number[] {
  const turns = messages[0]?.role === 'system' ? messages.slice(1) : messages;
  const system = messages[0]?.role === 'system' ? messages[0].content.trim() : undefined;
  const userText = (index: number) => {
    const content = turns[index]!.content.trim();
    return index === 0 && system !== undefined ? `${B_SYS}${system}${E_SYS}${content}` : content;
  };
  const ids: number[] = [];
  for (let i = 0; i + 1 < turns.length; i += 2) {
    const exchange = `${B_INST} ${userText(i)} ${E_INST} ${turns[i + 1]!.content.trim()} `;
    ids.push(tokenizer.bosId, ...tokenizer.encode(exchange, { addBos: false }), tokenizer.eosId);
  }
  const last = turns.length - 1;
  ids.push(tokenizer.bosId, ...tokenizer.encode(`${B_INST} ${userText(last)} ${E_INST}`, { addBos: false }));
  return ids;
}
