export { feedbackCommand } from './feedback.command';
