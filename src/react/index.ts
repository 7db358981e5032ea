// agent-stream/react: the <AgentStream> component and its building blocks (react is an optional peer).
export { AgentStream, type AgentStreamProps } from './AgentStream';
export { useAgentStream, type UseAgentStreamOptions, type AgentStreamView } from './use-agent-stream';
export { createAgentLogState, reduceAgentLog, type AgentLogState, type AgentLogLimits, type LogRow, type RowBase } from './agent-log';
export { AgentLogRow, describeAction, type ActionRow, type RenderText } from './agent-log-row';
export {
  PermissionCard,
  QuestionForm,
  PromptBox,
  type AgentActHandlers,
  type PermissionReply,
  type ControlProps,
  type ActStatus,
} from './agent-actions';
export { AGENT_STREAM_CSS } from './agent-stream-styles';
export { toolDiffs, type FileDiff, type DiffHunk } from './tool-diffs';
export { DiffView } from './diff-view';
