/**
 * OpenTelemetry GenAI semantic conventions on the OTLP export (loaded with ./../runtime/tracing only): inside each
 * traced activity span, a model turn gets a `chat {model}` span and a Codex call an `execute_tool codex` span, with
 * the `gen_ai.*` attributes LLM-observability tools read (Arize Phoenix, Langfuse, Datadog LLM Observability), plus
 * the OpenInference span kind Phoenix groups by. Prompts and answers only with content capture.
 */
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { CodexCallInput, CodexCallOutput, ModelTurnInput, ModelTurnOutput } from '../shared/types';

type Attrs = Record<string, string | number | boolean | string[]>;

function modelTurnStart(input: ModelTurnInput, model: string | undefined, content: boolean): Attrs {
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.system': 'openai',
    ...(model ? { 'gen_ai.request.model': model } : {}),
    'gen_ai.agent.name': input.role,
    'gen_ai.conversation.id': input.runId,
    'openinference.span.kind': 'LLM',
    ...(content && {
      'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: input.instructions }]),
      'gen_ai.input.messages': JSON.stringify(input.input),
    }),
  };
}

function modelTurnEnd(out: ModelTurnOutput, content: boolean): Attrs {
  return {
    'gen_ai.request.model': out.model,
    'gen_ai.response.model': out.model,
    'gen_ai.response.id': out.responseId,
    'gen_ai.usage.input_tokens': out.usage.input,
    'gen_ai.usage.output_tokens': out.usage.output,
    'llm.model_name': out.model,
    'llm.token_count.prompt': out.usage.input,
    'llm.token_count.completion': out.usage.output,
    'llm.token_count.total': out.usage.total,
    ...(content && { 'gen_ai.output.messages': JSON.stringify(out.items) }),
  };
}

function codexStart(input: CodexCallInput, content: boolean): Attrs {
  return {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': input.tool,
    'gen_ai.tool.type': 'extension',
    'gen_ai.tool.description': 'Codex (MCP server): edits files in the workspace',
    'gen_ai.agent.name': input.role,
    'gen_ai.conversation.id': input.runId,
    'openinference.span.kind': 'TOOL',
    'tool.name': input.tool,
    ...(content && {
      'gen_ai.tool.call.arguments': JSON.stringify({ prompt: input.prompt, threadId: input.threadId }),
    }),
  };
}

function codexEnd(out: CodexCallOutput, content: boolean): Attrs {
  return {
    'gen_ai.usage.input_tokens': out.usage.input,
    'gen_ai.usage.output_tokens': out.usage.output,
    'codex.thread_id': out.threadId,
    'codex.files_changed': out.filesChanged,
    'codex.commands_run': out.commandsRun,
    ...(content && { 'gen_ai.tool.call.result': out.content }),
  };
}

export function genAiActivityInterceptor(tracer: Tracer, captureContent: boolean): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const type = ctx.info.activityType;
        if (type !== 'modelTurn' && type !== 'codexCall') return next(input);
        const arg = input.args[0] as ModelTurnInput & CodexCallInput;
        const name = type === 'modelTurn' ? `chat ${arg.model ?? ''}`.trim() : `execute_tool ${arg.tool}`;
        const attributes =
          type === 'modelTurn' ? modelTurnStart(arg, arg.model, captureContent) : codexStart(arg, captureContent);
        const kind = type === 'modelTurn' ? SpanKind.CLIENT : SpanKind.INTERNAL;
        return tracer.startActiveSpan(name, { kind, attributes }, async (span: Span) => {
          try {
            const result = await next(input);
            span.setAttributes(
              type === 'modelTurn'
                ? modelTurnEnd(result as ModelTurnOutput, captureContent)
                : codexEnd(result as CodexCallOutput, captureContent),
            );
            if (type === 'modelTurn') span.updateName(`chat ${(result as ModelTurnOutput).model}`);
            return result;
          } catch (err) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
            span.setAttribute('error.type', err instanceof Error ? err.name : 'Error');
            throw err;
          } finally {
            span.end();
          }
        });
      },
    },
  });
}
