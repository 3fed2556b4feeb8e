import { MessageCentre } from '@/components/messages/message-centre';

export default function MessagesPage() {
  return <MessageCentre />;
}
